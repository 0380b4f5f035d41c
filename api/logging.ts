// Logger settings for the API. Redaction is a backstop: the code never logs
// request bodies or credentials on purpose, and these paths keep an accidental
// `log.info({ sender })` from leaking one, up to four levels deep.
const secretKeys = [
  'authorization',
  'apiSecret',
  'privateKey',
  'signatureSecret',
  'api_secret_sealed',
  'private_key_sealed',
  'signature_secret_sealed',
  'apiToken',
  'encryptionKey',
];

export const redactedPaths = [
  // The SDK's errors carry the whole request, Authorization header included.
  'err.config',
  '*.err.config',
  ...secretKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]),
];

export function loggerOptions(level: string) {
  return { level, redact: { paths: redactedPaths, censor: '[redacted]' } };
}
