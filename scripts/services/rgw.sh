# shellcheck shell=bash
# Ceph's S3 gateway (radosgw) on a throwaway single-node cluster: one monitor, one memstore OSD
# (RAM only: its data is gone when the OSD stops), no cephx. It stands in for MinIO, which cannot
# be installed here; the SDK only speaks generic S3 to it.

CEPH_DIR="$AIOS_STATE_DIR/ceph"
CEPH_CONF="$CEPH_DIR/ceph.conf"
CEPH_LOG_DIR="$AIOS_LOG_DIR/ceph"
RGW_LOG="$CEPH_LOG_DIR/rgw.log"
RGW_ENDPOINT=http://127.0.0.1:7480
S3_CREDENTIALS="$AIOS_STATE_DIR/s3-credentials"
RGW_USER=aios-dev

ceph_cmd() { timeout 30 ceph -c "$CEPH_CONF" "$@"; }

rgw_answers() { curl -s -o /dev/null "$RGW_ENDPOINT/"; }

write_ceph_conf() {
  local fsid=$1
  cat >"$CEPH_CONF" <<CONF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:3300
public_addr = 127.0.0.1
ms_bind_msgr1 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
run_dir = $CEPH_DIR/run
admin_socket = $CEPH_DIR/run/\$cluster-\$name.asok
log_file = $CEPH_LOG_DIR/\$name.log
mon_data = $CEPH_DIR/mon/\$cluster-\$id
osd_data = $CEPH_DIR/osd/\$cluster-\$id
osd_objectstore = memstore
# RAM is only used as data is written; the cap just has to exceed what tests and benchmarks keep.
memstore_device_bytes = 12884901888
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

[client]
# With auth none the gateway otherwise waits 300 s and fails with -13.
ms_mon_client_mode = crc secure
client_mount_timeout = 30

[client.rgw.aios]
rgw_frontends = beast endpoint=127.0.0.1:7480
rgw_dns_name = 127.0.0.1
# Dev only: a lifecycle "day" lasts 10 s, so expiry rules can be tested (then: radosgw-admin lc process).
rgw_lc_debug_interval = 10
# Dev only: reclaim overwritten and deleted data within a minute, not after the default two
# hours; otherwise benchmarks that rewrite large objects fill the memstore OSD.
rgw_gc_obj_min_wait = 30
rgw_gc_processor_period = 30
CONF
}

# Starts monitor and OSD from scratch. The OSD keeps its data in RAM, so a cluster whose daemons
# stopped cannot be resumed: it is rebuilt.
ceph_bootstrap() {
  local fsid osd_uuid osd_id
  stop_pid ceph-osd
  stop_pid ceph-mon
  rm -rf "$CEPH_DIR"
  mkdir -p "$CEPH_DIR/run" "$CEPH_DIR/mon/ceph-a" "$CEPH_DIR/osd" "$CEPH_LOG_DIR"
  fsid=$(cat /proc/sys/kernel/random/uuid)
  write_ceph_conf "$fsid"
  log "rgw: bootstrapping a single-node Ceph cluster (monitor + memstore OSD)"
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:3300]" "$CEPH_DIR/monmap" >>"$CEPH_LOG_DIR/bootstrap.log" 2>&1 ||
    die "rgw: monmaptool failed; see $CEPH_LOG_DIR/bootstrap.log"
  ceph-mon -c "$CEPH_CONF" --mkfs -i a --monmap "$CEPH_DIR/monmap" >>"$CEPH_LOG_DIR/bootstrap.log" 2>&1 ||
    die "rgw: ceph-mon --mkfs failed; see $CEPH_LOG_DIR/bootstrap.log"
  spawn ceph-mon "$CEPH_LOG_DIR/mon.a.out" ceph-mon -c "$CEPH_CONF" -f -i a
  wait_until 60 "ceph monitor" "$CEPH_LOG_DIR/mon.a.log" ceph_cmd mon stat || exit 1
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_id=$(ceph_cmd osd new "$osd_uuid") || die "rgw: 'ceph osd new' failed"
  mkdir -p "$CEPH_DIR/osd/ceph-$osd_id"
  ceph-osd -c "$CEPH_CONF" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >>"$CEPH_LOG_DIR/bootstrap.log" 2>&1 ||
    die "rgw: ceph-osd --mkfs failed; see $CEPH_LOG_DIR/bootstrap.log"
  spawn ceph-osd "$CEPH_LOG_DIR/osd.out" ceph-osd -c "$CEPH_CONF" -f -i "$osd_id"
  wait_until 60 "ceph OSD" "$CEPH_LOG_DIR/osd.$osd_id.log" osd_up || exit 1
}

osd_up() { ceph_cmd osd stat 2>/dev/null | grep -q "1 up"; }

rgw_start_gateway() {
  log "rgw: starting radosgw on 127.0.0.1:7480"
  spawn radosgw "$RGW_LOG" radosgw -c "$CEPH_CONF" -f -n client.rgw.aios
  wait_until 120 "radosgw" "$CEPH_LOG_DIR/client.rgw.aios.log" rgw_answers || exit 1
}

rgw_ensure_user() {
  local access secret
  if [ ! -s "$S3_CREDENTIALS" ]; then
    # Random keys, generated once per machine and kept out of the repository.
    # (od, not `tr </dev/urandom | head`: under pipefail that pipeline fails with SIGPIPE.)
    access=$(od -An -tx1 -N10 /dev/urandom | tr -d ' \n' | tr 'a-f' 'A-F')
    secret=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
    umask 077
    printf 'AIOS_S3_ACCESS_KEY=%s\nAIOS_S3_SECRET_KEY=%s\n' "$access" "$secret" >"$S3_CREDENTIALS"
  fi
  # shellcheck disable=SC1090
  . "$S3_CREDENTIALS"
  if ! timeout 30 radosgw-admin -c "$CEPH_CONF" -n client.rgw.aios user info --uid "$RGW_USER" >/dev/null 2>&1; then
    timeout 30 radosgw-admin -c "$CEPH_CONF" -n client.rgw.aios user create --uid "$RGW_USER" \
      --display-name "AIOS dev" --access-key "$AIOS_S3_ACCESS_KEY" --secret-key "$AIOS_S3_SECRET_KEY" \
      >>"$CEPH_LOG_DIR/bootstrap.log" 2>&1 || die "rgw: radosgw-admin user create failed; see $CEPH_LOG_DIR/bootstrap.log"
  fi
}

# The gateway creates its data pools lazily; one bucket, object and multipart upload up front
# keeps that cost out of the first test.
rgw_warm_up() {
  local bucket="aios-warmup-$$" tmp
  tmp=$(mktemp)
  head -c 6000000 /dev/zero >"$tmp"
  (
    export AWS_ACCESS_KEY_ID="$AIOS_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$AIOS_S3_SECRET_KEY" AWS_DEFAULT_REGION=us-east-1
    unset AWS_CA_BUNDLE AWS_PROFILE
    aws=(/usr/bin/aws --endpoint-url "$RGW_ENDPOINT")
    "${aws[@]}" s3api create-bucket --bucket "$bucket" >/dev/null &&
      "${aws[@]}" s3 cp --quiet "$tmp" "s3://$bucket/warm" --expected-size 6000000 &&
      "${aws[@]}" s3api put-object --bucket "$bucket" --key small --body /etc/hostname >/dev/null &&
      "${aws[@]}" s3 rb --force "s3://$bucket" >/dev/null
  ) >>"$CEPH_LOG_DIR/bootstrap.log" 2>&1 || { rm -f "$tmp"; return 1; }
  rm -f "$tmp"
}

rgw_up() {
  ensure_packages ceph-mon ceph-osd radosgw ceph-common awscli rclone curl
  mkdir -p "$CEPH_LOG_DIR"
  if rgw_answers && [ -s "$S3_CREDENTIALS" ]; then
    log "rgw: already up on $RGW_ENDPOINT"
    return 0
  fi
  if ! pid_alive ceph-mon || ! pid_alive ceph-osd || ! osd_up; then
    ceph_bootstrap
  fi
  pid_alive radosgw || rgw_start_gateway
  rgw_ensure_user
  # A gateway that just started can drop its first connections while it finishes initializing.
  local attempt
  for attempt in 1 2 3 4 5; do
    (rgw_warm_up) && return 0
    log "rgw: warm-up attempt $attempt failed; retrying"
    sleep 1
  done
  die "rgw: warm-up requests failed; see $CEPH_LOG_DIR/bootstrap.log"
}

# `down rgw` stops only the gateway (data stays in the OSD); `down` stops the whole cluster.
rgw_down() {
  local whole=${1:-gateway}
  if pid_alive radosgw; then log "rgw: stopping radosgw"; fi
  stop_pid radosgw
  if [ "$whole" = cluster ]; then
    if pid_alive ceph-osd || pid_alive ceph-mon; then log "rgw: stopping the Ceph OSD and monitor (memstore data is dropped)"; fi
    stop_pid ceph-osd
    stop_pid ceph-mon
  fi
}

rgw_status() {
  if rgw_answers; then
    echo "rgw         up    s3 $RGW_ENDPOINT (Ceph $(ceph --version | awk '{print $3}'), conf $CEPH_CONF)"
  else
    echo "rgw         down"
    return 1
  fi
}

rgw_env() {
  [ -s "$S3_CREDENTIALS" ] || return 0
  # shellcheck disable=SC1090
  . "$S3_CREDENTIALS"
  printf 'export AIOS_S3_ENDPOINT=%s\n' "$RGW_ENDPOINT"
  printf 'export AIOS_S3_ACCESS_KEY=%s\n' "$AIOS_S3_ACCESS_KEY"
  printf 'export AIOS_S3_SECRET_KEY=%s\n' "$AIOS_S3_SECRET_KEY"
  printf 'export AIOS_S3_REGION=us-east-1\n'
  printf 'export AIOS_CEPH_CONF=%s\n' "$CEPH_CONF"
}
