// The environment variables commands read, named in their `--help`. Options that stand for a
// variable say so themselves (commander's `Option.env`, shown as "env: …"); the rest are listed
// after the options with these texts. The variables and their defaults are those of ../env.ts.

/** What every variable is for, as one line of help. */
const VARIABLES = {
  AIOS_AMQP_URL: "broker URL with credentials and vhost (default amqp://guest:guest@127.0.0.1:5672/aios)",
  AIOS_RABBITMQ_API_URL:
    "RabbitMQ management API with credentials (default http://guest:guest@127.0.0.1:15672)",
  AIOS_S3_ENDPOINT: "S3 server (default http://127.0.0.1:7480)",
  AIOS_S3_ACCESS_KEY: "S3 access key (required)",
  AIOS_S3_SECRET_KEY: "S3 secret key (required)",
  AIOS_S3_REGION: "S3 region (default us-east-1)",
  AIOS_LOG_LEVEL: "log level of the SDK's own logs (default warn for the CLI)",
  AIOS_LOG_DESTINATION: "where those logs go: stderr (the CLI's default) or stdout",
} as const;

/** An "Environment variables:" section naming `names`, each with what it is for. */
export function environmentHelp(names: readonly (keyof typeof VARIABLES)[]): string {
  const width = Math.max(...names.map((name) => name.length));
  return `\nEnvironment variables:\n${names.map((name) => `  ${name.padEnd(width)}  ${VARIABLES[name]}`).join("\n")}`;
}

/** The S3 server's variables: every storage and workspace command reads them. */
export const S3_ENVIRONMENT_HELP = environmentHelp([
  "AIOS_S3_ENDPOINT",
  "AIOS_S3_ACCESS_KEY",
  "AIOS_S3_SECRET_KEY",
  "AIOS_S3_REGION",
]);
