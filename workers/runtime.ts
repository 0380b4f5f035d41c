// The Temporal Core runtime is a per-process singleton: install it once, before
// any worker connection, so the SDK's Prometheus metrics are served.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

export interface RuntimeOptions {
  metricsHost: string;
  metricsPort: number;
  logLevel: string;
}

const temporalLogLevels: Record<string, LogLevel> = {
  trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR',
};

export function installRuntime(options: RuntimeOptions): string {
  const bindAddress = `${options.metricsHost}:${options.metricsPort}`;
  Runtime.install({
    logger: new DefaultLogger(temporalLogLevels[options.logLevel] ?? 'INFO'),
    telemetryOptions: { metrics: { prometheus: { bindAddress } } },
  });
  return `http://${bindAddress}/metrics`;
}
