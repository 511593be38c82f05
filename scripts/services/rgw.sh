# shellcheck shell=bash
# Ceph's S3 gateway (radosgw) on a single-node cluster: one monitor, one BlueStore OSD on a sparse
# file under the state dir (so buckets survive `down`/`up`, a killed daemon and a reboot), no cephx.
# It stands in for MinIO, which cannot be installed here; the SDK only speaks generic S3 to it.

CEPH_DIR="$AIOS_STATE_DIR/ceph"
CEPH_CONF="$CEPH_DIR/ceph.conf"
CEPH_LOG_DIR="$AIOS_LOG_DIR/ceph"
RGW_LOG="$CEPH_LOG_DIR/rgw.log"
RGW_ENDPOINT="http://127.0.0.1:$AIOS_RGW_PORT"
S3_CREDENTIALS="$AIOS_STATE_DIR/s3-credentials"
RGW_USER=aios-dev
# The OSD's block device: a sparse file, created by `ceph-osd --mkfs` at the size AIOS_CEPH_OSD_SIZE
# says (read only then). It takes disk as data is written, up to that size.
OSD_BLOCK="$CEPH_DIR/osd/block"
AIOS_CEPH_OSD_SIZE=${AIOS_CEPH_OSD_SIZE:-10G}
# 1: the OSD flushes to disk (fdatasync) at every commit, as in production. Default 0: the OSD runs
# under libeatmydata, which turns those flushes into no-ops. Every acknowledged write still reaches
# the kernel before the client hears of it, so it survives a killed daemon and a clean reboot; only
# a kernel crash or power cut can lose the last seconds. Each flush costs ~6 ms on this disk, which
# made small writes 4x slower (4 KiB writes one at a time: 9.6 ms -> 2.4 ms) and re-syncs miss their floor.
AIOS_CEPH_FSYNC=${AIOS_CEPH_FSYNC:-0}

# Debian packages it needs (installed by `up` in one apt transaction); awscli and rclone are the
# second S3 clients the storage tests and benchmarks use.
# shellcheck disable=SC2034 # read by scripts/services.sh
RGW_PACKAGES=(ceph-mon ceph-osd radosgw ceph-common eatmydata awscli rclone curl)

ceph_cmd() { timeout 30 ceph -c "$CEPH_CONF" "$@"; }

rgw_answers() { curl -s -m 5 -o /dev/null "$RGW_ENDPOINT/"; }

ceph_fsid() { sed -n 's/^fsid = //p' "$CEPH_CONF"; }

# True when ceph.conf holds what write_ceph_conf would write now.
ceph_conf_current() {
  local expected
  expected=$(CEPH_CONF=/dev/stdout write_ceph_conf "$(ceph_fsid)")
  [ "$expected" = "$(cat "$CEPH_CONF")" ]
}

write_ceph_conf() {
  local fsid=$1
  cat >"$CEPH_CONF" <<CONF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$AIOS_CEPH_MON_PORT
# Both networks on loopback: without cluster_addr the OSD binds its cluster ports on 0.0.0.0.
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_msgr1 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
run_dir = $CEPH_DIR/run
admin_socket = $CEPH_DIR/run/\$cluster-\$name.asok
log_file = $CEPH_LOG_DIR/\$name.log
mon_data = $CEPH_DIR/mon/\$cluster-\$id
osd_data = $CEPH_DIR/osd/\$cluster-\$id
osd_objectstore = bluestore
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_data_avail_warn = 1
auth_allow_insecure_global_id_reclaim = false
mon_warn_on_insecure_global_id_reclaim_allowed = false
osd_crush_chooseleaf_type = 0

[mon]
# Bootstraps in ~3 s instead of ~15 s.
paxos_propose_interval = 0.1

[osd]
# BlueStore on a plain file (created by --mkfs, sparse: see osd_block_bytes).
bluestore_block_path = $OSD_BLOCK
bluestore_block_create = true
bluestore_block_preallocate_file = false
# A small, fixed cache instead of the 4 GiB osd_memory_target autotuning: a shared 2-core box.
bluestore_cache_autotune = false
bluestore_cache_size = 67108864
osd_memory_target = 939524096
# RocksDB memtables: 4 x 256 MiB by default (up to 1 GiB of RAM); 2 x 32 MiB is plenty here.
bluestore_rocksdb_options = compression=kNoCompression,max_write_buffer_number=2,min_write_buffer_number_to_merge=1,recycle_log_file_num=2,write_buffer_size=33554432,writable_file_max_buffer_size=0,compaction_readahead_size=2097152,max_background_compactions=1,max_total_wal_size=134217728
# PG logs only serve recovery between replicas, and there is one copy: short logs (default up to
# 10,000 entries per PG) cut the OSD's memory and the seconds a restart spends loading them.
osd_min_pg_log_entries = 100
osd_max_pg_log_entries = 500
osd_pg_log_dups_tracked = 500
osd_pg_log_trim_min = 50
# The block file sits on a virtual disk that reports itself rotational: HDD tuning would defer every
# write under 64 KiB through RocksDB and cap the I/Os in flight (throttle cost 670,000 per I/O).
# SSD tuning, with 2 shards x 2 threads for 2 cores, measured 360 -> ~500 IOPS for 4 KiB writes and
# 75 -> ~110 MB/s for 4 MiB writes (16 in flight, rados bench, busy machine).
bluestore_debug_enforce_settings = ssd
osd_op_num_shards = 2
osd_op_num_threads_per_shard = 2
# Dev only: a killed gateway's watches are dropped after 10 s instead of 30 s. Until then the new
# gateway's metadata writes (create bucket, ...) block 10 s per attempt on "Watchers ... did not respond".
osd_client_watch_timeout = 10

[client]
# With auth none the gateway otherwise waits 300 s and fails with -13.
ms_mon_client_mode = crc secure
client_mount_timeout = 30

[client.rgw.aios]
# tcp_nodelay: without it every GET of a small object waits ~40 ms (the response's second write
# is held by Nagle's algorithm until the client's delayed ACK). Measured: 45 ms -> 3 ms.
rgw_frontends = beast endpoint=127.0.0.1:$AIOS_RGW_PORT tcp_nodelay=1
rgw_dns_name = 127.0.0.1
# DEV ONLY: a lifecycle "day" lasts 10 s, so expiry rules can be tested (then: radosgw-admin lc process).
# Never in production: every "Days: N" rule would expire objects after N x 10 seconds.
rgw_lc_debug_interval = 10
# Dev only: reclaim overwritten and deleted data within a minute, not after the default two
# hours; otherwise benchmarks that rewrite large objects fill the memstore OSD.
rgw_gc_obj_min_wait = 30
rgw_gc_processor_period = 30
CONF
}

# AIOS_CEPH_OSD_SIZE in bytes: a number of bytes or one with a K, M, G or T suffix (powers of 1024;
# "10G", "10GiB" and "10Gi" are the same). Read only when the OSD is created.
osd_block_bytes() {
  local size=${AIOS_CEPH_OSD_SIZE^^} bytes
  size=${size%B}
  size=${size%I}
  bytes=$(numfmt --from=iec "$size" 2>/dev/null) ||
    die "rgw: AIOS_CEPH_OSD_SIZE='$AIOS_CEPH_OSD_SIZE' is not a size (examples: 10G, 512M, 21474836480)"
  # Below ~1 GiB BlueStore's RocksDB (BlueFS) and the pools' metadata leave little room for data.
  [ "$bytes" -ge 1073741824 ] ||
    die "rgw: AIOS_CEPH_OSD_SIZE='$AIOS_CEPH_OSD_SIZE' is below the 1G minimum of the BlueStore OSD"
  echo "$bytes"
}

# The OSD's id: the number in the name of its data dir (osd/ceph-<id>); empty when there is none.
osd_id() {
  local dir
  for dir in "$CEPH_DIR"/osd/ceph-*; do
    [ -d "$dir" ] && echo "${dir##*/ceph-}" && return 0
  done
}

# What the state dir holds: none (no cluster), bluestore (a cluster `up` resumes), memstore (the
# RAM-only cluster earlier versions of this script built: nothing in it survives) or incomplete
# (a bootstrap that did not finish).
ceph_state() {
  local id
  [ -d "$CEPH_DIR/mon" ] || [ -f "$CEPH_CONF" ] || {
    echo none
    return 0
  }
  if grep '^osd_objectstore = memstore' "$CEPH_CONF" >/dev/null 2>&1; then
    echo memstore
    return 0
  fi
  id=$(osd_id)
  if [ -n "$id" ] && [ "$(cat "$CEPH_DIR/osd/ceph-$id/type" 2>/dev/null)" = bluestore ] &&
    [ -f "$CEPH_DIR/osd/ceph-$id/ready" ] && [ -f "$OSD_BLOCK" ] && [ -f "$CEPH_DIR/mon/ceph-a/store.db/CURRENT" ]; then
    echo bluestore
  else
    echo incomplete
  fi
}

human_bytes() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1"; }

# "<allocated> <size>" of the OSD's block file: the disk it really takes, and what it may grow to.
osd_block_usage() {
  [ -f "$OSD_BLOCK" ] || return 1
  stat -c '%b %B %s' "$OSD_BLOCK" | awk '{printf "%d %d\n", $1 * $2, $3}'
}

# The file is sparse: warn when the filesystem could not hold it once full.
osd_check_free_space() {
  local usage allocated size free
  usage=$(osd_block_usage) || return 0
  read -r allocated size <<<"$usage"
  free=$(($(stat -f -c '%a * %S' "$OSD_BLOCK")))
  if [ "$free" -lt $((size - allocated)) ]; then
    log "rgw: warning: $OSD_BLOCK may grow to $(human_bytes "$size") but its filesystem has only $(human_bytes "$free") free; the OSD stops writing when the disk is full"
  fi
}

# Builds monitor and OSD from scratch: a new fsid, an empty BlueStore on a new sparse block file.
# Only called when there is no cluster to resume (or the memstore one, which kept nothing).
ceph_bootstrap() {
  local fsid osd_uuid osd_id bytes
  bytes=$(osd_block_bytes)
  # A gateway of the previous cluster would hang on to the dead one.
  stop_pid radosgw
  stop_pid ceph-osd
  stop_pid ceph-mon
  port_open "$AIOS_CEPH_MON_PORT" &&
    die "rgw: port $AIOS_CEPH_MON_PORT (Ceph monitor) is taken by a process this script did not start (another cluster?)"
  rm -rf "$CEPH_DIR"
  mkdir -p "$CEPH_DIR/run" "$CEPH_DIR/mon/ceph-a" "$CEPH_DIR/osd" "$CEPH_LOG_DIR"
  fsid=$(cat /proc/sys/kernel/random/uuid)
  write_ceph_conf "$fsid"
  log "rgw: bootstrapping a single-node Ceph cluster (monitor + BlueStore OSD on $OSD_BLOCK, a sparse file of $(human_bytes "$bytes"))"
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$AIOS_CEPH_MON_PORT]" "$CEPH_DIR/monmap" >>"$CEPH_LOG_DIR/bootstrap.log" 2>&1 ||
    die "rgw: monmaptool failed; see $CEPH_LOG_DIR/bootstrap.log"
  ceph-mon -c "$CEPH_CONF" --mkfs -i a --monmap "$CEPH_DIR/monmap" >>"$CEPH_LOG_DIR/bootstrap.log" 2>&1 ||
    die "rgw: ceph-mon --mkfs failed; see $CEPH_LOG_DIR/bootstrap.log"
  ceph_start_mon
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_id=$(ceph_cmd osd new "$osd_uuid") || die "rgw: 'ceph osd new' failed"
  mkdir -p "$CEPH_DIR/osd/ceph-$osd_id"
  ceph-osd -c "$CEPH_CONF" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" --bluestore-block-size "$bytes" \
    >>"$CEPH_LOG_DIR/bootstrap.log" 2>&1 || die "rgw: ceph-osd --mkfs failed; see $CEPH_LOG_DIR/bootstrap.log"
  ceph_start_osd "$osd_id"
}

ceph_start_mon() {
  port_open "$AIOS_CEPH_MON_PORT" &&
    die "rgw: port $AIOS_CEPH_MON_PORT (Ceph monitor) is taken by a process this script did not start (another cluster?)"
  spawn ceph-mon "$CEPH_LOG_DIR/mon.a.out" ceph-mon -c "$CEPH_CONF" -f -i a
  wait_daemon ceph-mon 60 "ceph monitor" "$CEPH_LOG_DIR/mon.a.log" ceph_cmd mon stat ||
    die "rgw: the Ceph monitor did not start; see $CEPH_LOG_DIR/mon.a.log and $CEPH_LOG_DIR/mon.a.out"
}

check_fsync_setting() {
  case "$AIOS_CEPH_FSYNC" in
    0 | 1) ;;
    *) die "rgw: AIOS_CEPH_FSYNC='$AIOS_CEPH_FSYNC' must be 0 (flushes skipped, the default) or 1 (every commit flushed)" ;;
  esac
}

ceph_start_osd() {
  local id=$1 preload=libeatmydata.so
  if [ "$AIOS_CEPH_FSYNC" = 1 ]; then preload=; fi
  # MALLOC_ARENA_MAX: this ceph-osd uses glibc's malloc (not tcmalloc), whose per-thread arenas
  # (up to 16 on 2 cores) left it at ~700 MiB RSS after the storage benchmark. 8 arenas bound that;
  # 2 or 4 saved more memory but halved small writes (4 KiB x 16 in flight: ~500 vs ~1,000 IOPS).
  spawn ceph-osd "$CEPH_LOG_DIR/osd.out" env LD_PRELOAD="$preload" MALLOC_ARENA_MAX=8 ceph-osd -c "$CEPH_CONF" -f -i "$id"
  # A restarted OSD replays BlueStore's RocksDB log first; a killed one's stale "up" entry in the
  # osdmap does not count: wait for this process to say it is active.
  wait_daemon ceph-osd 120 "ceph OSD" "$CEPH_LOG_DIR/osd.$id.log" osd_active "$id" ||
    die "rgw: the Ceph OSD did not start; see $CEPH_LOG_DIR/osd.$id.log and $CEPH_LOG_DIR/osd.out ('scripts/services.sh reset rgw' wipes the cluster if its data is damaged)"
}

# Starts the monitor and the OSD of an existing BlueStore cluster, whichever is not running.
ceph_resume() {
  local id
  id=$(osd_id)
  # The daemons read ceph.conf when they start: give them this script's current settings.
  ceph_conf_current || write_ceph_conf "$(ceph_fsid)"
  mkdir -p "$CEPH_DIR/run"
  if ! pid_alive ceph-mon; then
    log "rgw: starting the Ceph monitor (cluster $(ceph_fsid), kept in $CEPH_DIR)"
    ceph_start_mon
  fi
  if ! pid_alive ceph-osd; then
    log "rgw: starting the Ceph OSD (BlueStore on $OSD_BLOCK)"
    ceph_start_osd "$id"
  else
    wait_daemon ceph-osd 120 "ceph OSD" "$CEPH_LOG_DIR/osd.$id.log" osd_active "$id" ||
      die "rgw: the Ceph OSD is not active; see $CEPH_LOG_DIR/osd.$id.log"
  fi
}

osd_active() {
  timeout 10 ceph --admin-daemon "$CEPH_DIR/run/ceph-osd.$1.asok" status 2>/dev/null | grep '"state": "active"' >/dev/null
}

osd_up() { ceph_cmd osd stat 2>/dev/null | grep "1 up" >/dev/null; }

rgw_start_gateway() {
  log "rgw: starting radosgw on 127.0.0.1:$AIOS_RGW_PORT (log $CEPH_LOG_DIR/client.rgw.aios.log)"
  spawn radosgw "$RGW_LOG" radosgw -c "$CEPH_CONF" -f -n client.rgw.aios
  wait_daemon radosgw 120 "radosgw" "$CEPH_LOG_DIR/client.rgw.aios.log" rgw_answers ||
    die "rgw: radosgw did not start; see $CEPH_LOG_DIR/client.rgw.aios.log and $RGW_LOG"
}

rgw_ensure_user() {
  local access secret
  if [ ! -s "$S3_CREDENTIALS" ]; then
    # Random keys, generated once per machine and kept out of the repository.
    # (od, not `tr </dev/urandom | head`: under pipefail that pipeline fails with SIGPIPE.)
    access=$(od -An -tx1 -N10 /dev/urandom | tr -d ' \n' | tr 'a-f' 'A-F')
    secret=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
    (
      umask 077
      printf 'AIOS_S3_ACCESS_KEY=%s\nAIOS_S3_SECRET_KEY=%s\n' "$access" "$secret" >"$S3_CREDENTIALS"
    )
  fi
  # shellcheck disable=SC1090
  . "$S3_CREDENTIALS"
  # radosgw-admin prints the user's keys on stdout: it goes to /dev/null, never to a log.
  local info
  if ! info=$(timeout 30 radosgw-admin -c "$CEPH_CONF" -n client.rgw.aios user info --uid "$RGW_USER" 2>/dev/null); then
    timeout 30 radosgw-admin -c "$CEPH_CONF" -n client.rgw.aios user create --uid "$RGW_USER" \
      --display-name "AIOS dev" --access-key "$AIOS_S3_ACCESS_KEY" --secret-key "$AIOS_S3_SECRET_KEY" \
      >/dev/null 2>>"$CEPH_LOG_DIR/bootstrap.log" || die "rgw: radosgw-admin user create failed; see $CEPH_LOG_DIR/bootstrap.log"
  elif [[ "$info" != *"\"$AIOS_S3_ACCESS_KEY\""* ]]; then
    # The user survived but the credentials file was deleted (and regenerated): add the new key.
    timeout 30 radosgw-admin -c "$CEPH_CONF" -n client.rgw.aios key create --uid "$RGW_USER" --key-type s3 \
      --access-key "$AIOS_S3_ACCESS_KEY" --secret-key "$AIOS_S3_SECRET_KEY" \
      >/dev/null 2>>"$CEPH_LOG_DIR/bootstrap.log" || die "rgw: radosgw-admin key create failed; see $CEPH_LOG_DIR/bootstrap.log"
  fi
}

# The gateway creates its data and index pools lazily, on first use; a bucket, a multipart upload
# (2 parts), a small object and their deletion up front keep that cost out of the first test.
# Signed S3 requests by curl (--aws-sigv4), not awscli: each `aws` run costs 1-5 s of Python start-up
# on a busy machine, and the warm-up took ~28 s of a 38 s `up` after `down` (curl: ~1.5 s).
rgw_warm_up() {
  local bucket="aios-warmup-$$" tmp rc=0
  tmp=$(mktemp -d)
  (
    head -c 5242880 /dev/zero >"$tmp/part1" || exit 1
    # The keys go in a config file (mode 600), not on the command line where `ps` shows them.
    (
      umask 077
      printf 'user = "%s:%s"\n' "$AIOS_S3_ACCESS_KEY" "$AIOS_S3_SECRET_KEY" >"$tmp/curlrc"
    ) || exit 1
    # UNSIGNED-PAYLOAD: curl 7.88 does not send the payload hash S3 requires with SigV4.
    s3() {
      curl -sS -f -m 60 -K "$tmp/curlrc" --aws-sigv4 "aws:amz:us-east-1:s3" \
        -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
    }
    etag_of() { tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p'; }
    url="$RGW_ENDPOINT/$bucket"
    # Called as an `if` condition, where bash ignores `set -e`: every step says `|| exit 1`.
    s3 -X PUT "$url" || exit 1
    trap 's3 -X DELETE "$url/multipart"; s3 -X DELETE "$url/small"; s3 -X DELETE "$url"' EXIT
    # "uploads=", not "uploads": curl 7.88 signs a valueless query parameter wrongly (403).
    upload=$(s3 -X POST "$url/multipart?uploads=" | sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p') || exit 1
    [ -n "$upload" ] || {
      echo "warm-up: no UploadId in the answer to POST ?uploads" >&2
      exit 1
    }
    etag1=$(s3 -T "$tmp/part1" "$url/multipart?partNumber=1&uploadId=$upload" -D - -o /dev/null | etag_of) || exit 1
    etag2=$(s3 -T /etc/hostname "$url/multipart?partNumber=2&uploadId=$upload" -D - -o /dev/null | etag_of) || exit 1
    s3 -X POST -o /dev/null --data-binary "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>$etag1</ETag></Part><Part><PartNumber>2</PartNumber><ETag>$etag2</ETag></Part></CompleteMultipartUpload>" \
      "$url/multipart?uploadId=$upload" || exit 1
    # A multipart object's ETag ends in -<parts>: proves the upload really went in parts.
    etag=$(s3 -I "$url/multipart" | etag_of) || exit 1
    case "$etag" in *-2\"*) ;; *) echo "warm-up: expected a 2-part upload, got ETag $etag" >&2 && exit 1 ;; esac
    s3 -T /etc/hostname "$url/small" -o /dev/null || exit 1
    s3 -X DELETE "$url/multipart" || exit 1
    s3 -X DELETE "$url/small" || exit 1
    s3 -X DELETE "$url" || exit 1
    trap - EXIT
  ) >>"$CEPH_LOG_DIR/bootstrap.log" 2>&1 || rc=$?
  rm -rf "$tmp"
  return "$rc"
}

rgw_up() {
  mkdir -p "$CEPH_LOG_DIR"
  local state bytes usage
  # Checked on every `up`, so a typo shows at once, not on the day the cluster is rebuilt.
  bytes=$(osd_block_bytes)
  check_fsync_setting
  state=$(ceph_state)
  if [ "$state" = bluestore ] && usage=$(osd_block_usage) && [ "${usage#* }" != "$bytes" ]; then
    log "rgw: note: AIOS_CEPH_OSD_SIZE is $(human_bytes "$bytes") but the OSD was created with $(human_bytes "${usage#* }"); the size is set when the OSD is created ('scripts/services.sh reset rgw' wipes the data and applies it)"
  fi
  if [ "$state" = memstore ]; then
    # Running or not, the memstore OSD keeps objects in RAM only: there is nothing on disk to carry over.
    log "rgw: migrating from the memstore Ceph cluster of an earlier scripts/services.sh (its objects lived in RAM and are lost with it): rebuilding it with a persistent BlueStore OSD"
    ceph_bootstrap
  elif rgw_answers && [ -s "$S3_CREDENTIALS" ] && pid_alive ceph-osd && pid_alive ceph-mon; then
    log "rgw: already up on $RGW_ENDPOINT"
    ceph_conf_current || log "rgw: this script's Ceph settings changed since the cluster started; 'down ceph' then 'up rgw' applies them (the data stays)"
    return 0
  fi
  if ! pid_alive radosgw && port_open "$AIOS_RGW_PORT"; then
    die "rgw: port $AIOS_RGW_PORT is taken by a process this script did not start"
  fi
  if ! pid_alive ceph-mon || ! pid_alive ceph-osd || ! osd_up; then
    case "$(ceph_state)" in
      bluestore) ceph_resume ;;
      incomplete)
        # Never wipe a block file that may hold data: that takes an explicit reset.
        [ ! -e "$OSD_BLOCK" ] ||
          die "rgw: $CEPH_DIR holds an OSD block file but not a complete cluster (monitor store or OSD metadata missing); not touching it: 'scripts/services.sh reset rgw' wipes it and the next up starts afresh"
        log "rgw: $CEPH_DIR holds a cluster whose bootstrap did not finish (no OSD in it): rebuilding it"
        ceph_bootstrap
        ;;
      *) ceph_bootstrap ;;
    esac
  fi
  osd_check_free_space
  if ! pid_alive radosgw; then
    # The gateway reads ceph.conf when it starts: give it this script's current settings.
    ceph_conf_current || write_ceph_conf "$(ceph_fsid)"
    rgw_start_gateway
  fi
  rgw_ensure_user
  # A gateway that just started can drop its first connections while it finishes initializing.
  local attempt
  for attempt in 1 2 3 4 5; do
    if rgw_warm_up; then
      log "rgw: up on $RGW_ENDPOINT (S3 user $RGW_USER; keys in $S3_CREDENTIALS)"
      return 0
    fi
    log "rgw: warm-up attempt $attempt failed; retrying"
    sleep 1
  done
  die "rgw: warm-up requests to $RGW_ENDPOINT failed; see $CEPH_LOG_DIR/bootstrap.log and $CEPH_LOG_DIR/client.rgw.aios.log"
}

# `down rgw` stops only the gateway; `down ceph` or a plain `down` stops the whole cluster. Neither
# touches the data: the BlueStore OSD keeps it on disk and `up` resumes the cluster. (`purge`: the
# cluster, for rgw_reset, which then deletes it.)
rgw_down() {
  local whole=${1:-gateway}
  if pid_alive radosgw; then log "rgw: stopping radosgw"; fi
  stop_pid radosgw
  if [ "$whole" != gateway ]; then
    if pid_alive ceph-osd || pid_alive ceph-mon; then
      if [ "$whole" = purge ]; then
        log "rgw: stopping the Ceph OSD and monitor"
      elif [ "$(ceph_state)" = memstore ]; then
        log "rgw: stopping the Ceph OSD and monitor (a memstore cluster: its data is dropped)"
      else
        log "rgw: stopping the Ceph OSD and monitor (the data stays in $CEPH_DIR; 'scripts/services.sh reset rgw' wipes it)"
      fi
    fi
    stop_pid ceph-osd
    stop_pid ceph-mon
  fi
}

# Stops the cluster and deletes it: every bucket, object and the S3 user. The keys file stays, so
# the next `up` recreates the user with the same keys.
rgw_reset() {
  rgw_down purge
  if [ -e "$CEPH_DIR" ]; then
    local usage allocated size
    usage=$(osd_block_usage) || usage="0 0"
    read -r allocated size <<<"$usage"
    log "rgw: WIPING the Ceph cluster: every bucket and object is deleted ($CEPH_DIR, $(human_bytes "$allocated") on disk); the S3 keys in $S3_CREDENTIALS are kept"
    rm -rf "$CEPH_DIR"
  else
    log "rgw: no Ceph cluster in $CEPH_DIR: nothing to wipe"
  fi
}

# How much disk the cluster's data takes: "BlueStore 1.2GiB on disk of a 10.0GiB file <path>".
rgw_disk() {
  local usage allocated size
  case "$(ceph_state)" in
    memstore) printf 'memstore: objects in RAM, lost when the OSD stops; the next up migrates to BlueStore' ;;
    none) printf 'no cluster yet' ;;
    *)
      if usage=$(osd_block_usage); then
        read -r allocated size <<<"$usage"
        printf 'BlueStore %s on disk of a %s sparse file %s' "$(human_bytes "$allocated")" "$(human_bytes "$size")" "$OSD_BLOCK"
      else
        printf 'no OSD block file (%s)' "$OSD_BLOCK"
      fi
      ;;
  esac
}

rgw_status() {
  local who="not started by services.sh"
  pid_alive radosgw && who="started by services.sh"
  if rgw_answers; then
    printf '%-11s up    s3 %s  (Ceph %s, %s; conf %s, %s)\n' rgw "$RGW_ENDPOINT" \
      "$(ceph --version | awk '{print $3}')" "$(rgw_disk)" "$CEPH_CONF" "$who"
  else
    local cluster=down
    pid_alive ceph-mon && pid_alive ceph-osd && cluster="up, gateway stopped"
    printf '%-11s down  (Ceph cluster %s; %s; log %s)\n' rgw "$cluster" "$(rgw_disk)" "$CEPH_LOG_DIR/client.rgw.aios.log"
    return 1
  fi
}

rgw_env() {
  if [ ! -s "$S3_CREDENTIALS" ]; then
    log "no S3 credentials yet in $S3_CREDENTIALS: run scripts/services.sh up rgw"
    return 0
  fi
  # shellcheck disable=SC1090
  . "$S3_CREDENTIALS"
  printf 'export AIOS_S3_ENDPOINT=%s\n' "$RGW_ENDPOINT"
  printf 'export AIOS_S3_ACCESS_KEY=%s\n' "$AIOS_S3_ACCESS_KEY"
  printf 'export AIOS_S3_SECRET_KEY=%s\n' "$AIOS_S3_SECRET_KEY"
  printf 'export AIOS_S3_REGION=us-east-1\n'
  printf 'export AIOS_CEPH_CONF=%s\n' "$CEPH_CONF"
}
