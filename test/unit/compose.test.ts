// No Docker engine runs in CI, so docker-compose.yml, the Dockerfile and
// .dockerignore are checked statically against the code they deploy: the
// configuration schemas, the npm scripts, the imports of every entry point.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { apiConfigKeys, requiredApiConfigKeys, requiredWorkerConfigKeys, workerConfigKeys } from '../../domain/config.ts';
import { projectRoot } from '../../scripts/paths.ts';
import { engineSearchAttributes } from '../../workflows/search-attributes.ts';

type EnvValue = string | number | boolean | null;
interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, EnvValue> | string[];
  ports?: (string | { published?: string | number; host_ip?: string })[];
  expose?: (string | number)[];
  depends_on?: string[] | Record<string, { condition?: string; required?: boolean }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  profiles?: string[];
  container_name?: string;
  restart?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  configs?: Record<string, { content?: string; file?: string }>;
}

const read = (path: string) => readFileSync(join(projectRoot, path), 'utf8');
const composeText = read('docker-compose.yml');
// Compose honours YAML merge keys (<<: *anchor); so must the parser.
const compose = parse(composeText, { merge: true }) as ComposeFile;
const services = compose.services;
const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string>; devDependencies: Record<string, string> };

// ---- Compose's variable substitution, with nothing set in the environment.
const REQUIRED = '<required>';
/** `${X:-default}` → default, `${X:?message}` → a marker, `${X}` → '', `$$` → `$`. */
function interpolate(value: string): string {
  return value.replace(/\$\$|\$\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}/g, (match, _name, operator?: string, argument?: string) => {
    if (match === '$$') return '$';
    if (operator?.endsWith('?')) return REQUIRED;
    if (operator?.endsWith('-')) return argument ?? '';
    return '';
  });
}
/** The variable a value must come from, when it is `${X:?message}`. */
const requiredVariable = (value: EnvValue) => (typeof value === 'string' ? /^\$\{(\w+):\?[^}]+\}$/.exec(value)?.[1] : undefined);

function environmentOf(name: string): Record<string, EnvValue> {
  const environment = services[name]?.environment ?? {};
  if (!Array.isArray(environment)) return environment;
  return Object.fromEntries(environment.map((entry) => {
    const at = entry.indexOf('=');
    return at < 0 ? [entry, null] : [entry.slice(0, at), entry.slice(at + 1)];
  }));
}
const commandOf = (service: Service) => (typeof service.command === 'string' ? service.command.split(/\s+/) : service.command ?? []);
const npmScript = (name: string) => packageJson.scripts[name]!.split(/\s+/);

// ---- What the processes read besides their zod schemas (domain/config.ts).
/** @temporalio/envconfig's variables (workers/temporal-connection.ts): the connection, TLS files or inline PEM, a profile. */
const temporalKeys = [
  'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY', 'TEMPORAL_PROFILE', 'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_TLS', 'TEMPORAL_TLS_SERVER_NAME', 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
  'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_DATA', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
];
/** db/database.ts. */
const databaseKeys = ['DATABASE_URL', 'DATABASE_POOL_SIZE'];
const allowedKeys: Record<string, string[]> = {
  api: [...apiConfigKeys, ...temporalKeys, ...databaseKeys],
  worker: [...workerConfigKeys, ...temporalKeys, ...databaseKeys],
  'temporal-setup': temporalKeys,
};
const requiredKeys: Record<string, string[]> = {
  // sharedDatabaseTarget: the separate processes refuse to start without DATABASE_URL.
  api: [...requiredApiConfigKeys, 'DATABASE_URL'],
  worker: [...requiredWorkerConfigKeys, 'DATABASE_URL'],
};
const engineServices = ['api', 'worker', 'temporal-setup', 'simulator'];

/** Host ports, as Compose would publish them with nothing set in the environment. */
const published: Record<string, string[]> = {
  api: ['127.0.0.1:3000:3000'],
  temporal: ['127.0.0.1:7233:7233'],
  'temporal-ui': ['127.0.0.1:8080:8080'],
  simulator: ['127.0.0.1:4010:4010'],
};

describe('docker-compose.yml', () => {
  it('has the services of the stack, each from a pinned image or our Dockerfile', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['api', 'postgres', 'simulator', 'temporal', 'temporal-postgres', 'temporal-schema', 'temporal-setup', 'temporal-ui', 'worker'],
    );
    for (const [name, service] of Object.entries(services)) {
      expect(service.image ?? service.build, `${name}: image or build`).toBeDefined();
      if (service.build) continue;
      const image = interpolate(service.image!);
      const tag = /^[^:@]+(?:\/[^:@]+)*:([\w.-]+)$/.exec(image)?.[1];
      expect(tag, `${name}: ${image} has a tag`).toBeDefined();
      expect(tag, `${name}: ${image} is pinned`).not.toBe('latest');
    }
    for (const name of engineServices) expect(services[name]!.build, `${name} is built from the Dockerfile`).toBeDefined();
  });

  it('runs Temporal as the current compose layout does: admin-tools schema job, then temporalio/server, then the UI', () => {
    const images = Object.values(services).map((service) => interpolate(service.image ?? ''));
    expect(images.filter((image) => image.startsWith('temporalio/auto-setup'))).toEqual([]);
    const server = interpolate(services.temporal!.image!);
    const adminTools = interpolate(services['temporal-schema']!.image!);
    expect(server).toMatch(/^temporalio\/server:/);
    expect(adminTools).toMatch(/^temporalio\/admin-tools:/);
    expect(adminTools.split(':')[1], 'admin-tools and server of one release').toBe(server.split(':')[1]);
    expect(interpolate(services['temporal-ui']!.image!)).toMatch(/^temporalio\/ui:/);

    const script = commandOf(services['temporal-schema']!).join(' ');
    expect(environmentOf('temporal-schema').SQL_PLUGIN).toBe('postgres12');
    expect(environmentOf('temporal').DB).toBe('postgres12');
    for (const db of ['temporal', 'temporal_visibility']) {
      expect(script).toContain(`--db ${db} setup-schema`);
      expect(script).toContain(`--db ${db} update-schema`);
    }
    expect(script).toContain('/etc/temporal/schema/postgresql/v12');
    expect(services.temporal!.depends_on).toMatchObject({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    // The dynamic config the server reads is the one Compose mounts.
    const mounted = (services.temporal as { configs?: { source: string; target: string }[] }).configs ?? [];
    expect(mounted.map((config) => config.target)).toContain(environmentOf('temporal').DYNAMIC_CONFIG_FILE_PATH);
    for (const config of mounted) expect(compose.configs?.[config.source]?.content).toBeTruthy();
  });

  it('registers the search attributes with our own `npm run temporal:setup` once the server is healthy', () => {
    const setup = services['temporal-setup']!;
    expect(commandOf(setup).join(' ')).toContain(packageJson.scripts['temporal:setup']);
    expect(setup.depends_on).toMatchObject({ temporal: { condition: 'service_healthy' } });
    for (const key of engineSearchAttributes) {
      expect(key.type).toBe('KEYWORD');
      expect(composeText, `the compose file names ${key.name}`).toContain(key.name);
    }
    for (const name of ['api', 'worker']) {
      expect(services[name]!.depends_on).toMatchObject({ 'temporal-setup': { condition: 'service_completed_successfully' } });
    }
  });

  it('publishes host ports only where intended, on the loopback interface by default', () => {
    for (const [name, service] of Object.entries(services)) {
      const ports = (service.ports ?? []).map((port) => (typeof port === 'string' ? interpolate(port) : JSON.stringify(port)));
      expect(ports, name).toEqual(published[name] ?? []);
    }
  });

  it('sets on api and worker only variables the code reads, and every variable it requires', () => {
    for (const [name, allowed] of Object.entries(allowedKeys)) {
      const unknown = Object.keys(environmentOf(name)).filter((key) => !allowed.includes(key));
      expect(unknown, `${name}: variables no schema or connection module reads`).toEqual([]);
    }
    for (const [name, keys] of Object.entries(requiredKeys)) {
      const environment = environmentOf(name);
      for (const key of keys) {
        const value = environment[key];
        expect(value, `${name}: ${key} is required`).not.toBeNull();
        expect(value, `${name}: ${key} is required`).toBeDefined();
        // A literal, or ${X:?message} so Compose refuses to start without it: never a default to empty.
        expect(typeof value === 'string' && interpolate(value) !== '', `${name}: ${key} cannot be empty`).toBe(true);
      }
    }
  });

  it('whitelists exactly the variables read outside the schemas', () => {
    const envconfig = readFileSync(join(projectRoot, 'node_modules/@temporalio/envconfig/lib/envconfig-toml.js'), 'utf8');
    for (const key of temporalKeys) expect(envconfig, `@temporalio/envconfig reads ${key}`).toContain(`'${key}'`);
    expect(read('workers/temporal-connection.ts')).toContain('loadClientConnectConfig()');
    const databaseReads = [...read('db/database.ts').matchAll(/env\.([A-Z_]+)/g)].map((match) => match[1]);
    expect([...new Set(databaseReads)].sort()).toEqual([...databaseKeys].sort());
  });

  it('passes the simulator only what vonage/simulator/main.ts reads', () => {
    const main = read('vonage/simulator/main.ts');
    for (const key of Object.keys(environmentOf('simulator'))) expect(main, key).toContain(`process.env.${key}`);
  });

  it('listens on all interfaces inside the containers and health-checks the ports the processes listen on', () => {
    const api = environmentOf('api');
    const worker = environmentOf('worker');
    const simulator = environmentOf('simulator');
    expect(api.API_HOST).toBe('0.0.0.0');
    expect(worker.METRICS_HOST).toBe('0.0.0.0');
    expect(simulator.SIMULATOR_HOST).toBe('0.0.0.0');
    const probe = (name: string) => [services[name]!.healthcheck?.test ?? []].flat().join(' ');
    expect(probe('api')).toContain(`:${api.API_PORT}/healthz`);
    expect(probe('worker')).toContain(`:${worker.METRICS_PORT}/metrics`);
    expect(probe('simulator')).toContain(`:${simulator.SIMULATOR_PORT}/_sim/`);
    expect(services.api!.ports?.map((port) => (typeof port === 'string' ? port.split(':').pop() : port))).toEqual([String(api.API_PORT)]);
    expect(services.worker!.expose?.map(String)).toEqual([String(worker.METRICS_PORT)]);
  });

  it('health-checks the databases, Temporal, the API and the worker', () => {
    for (const name of ['postgres', 'temporal-postgres', 'temporal', 'api', 'worker', 'simulator']) {
      const test = services[name]!.healthcheck?.test;
      expect(test, `${name} has a health check`).toBeDefined();
      expect(services[name]!.healthcheck?.disable).not.toBe(true);
    }
  });

  it('orders start-up with depends_on conditions on services that can meet them', () => {
    for (const [name, service] of Object.entries(services)) {
      const dependsOn = service.depends_on ?? {};
      expect(Array.isArray(dependsOn), `${name}: depends_on with conditions`).toBe(false);
      for (const [target, { condition }] of Object.entries(dependsOn as Record<string, { condition?: string }>)) {
        expect(services[target], `${name} depends on ${target}`).toBeDefined();
        expect(['service_healthy', 'service_completed_successfully'], `${name} → ${target}`).toContain(condition);
        if (condition === 'service_healthy') expect(services[target]!.healthcheck, `${target} has a health check`).toBeDefined();
        // A one-shot job must not be restarted, or "completed successfully" never comes.
        if (condition === 'service_completed_successfully') expect(services[target]!.restart ?? 'no').toBe('no');
        expect(services[target]!.profiles, `${name} would need a profile to start`).toBeUndefined();
      }
    }
  });

  it('lets the worker scale: no container names anywhere, no host port on the worker', () => {
    for (const [name, service] of Object.entries(services)) expect(service.container_name, name).toBeUndefined();
    expect(services.worker!.ports).toBeUndefined();
  });

  it('keeps the simulator in the simulator profile, and every other service in none', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.profiles, name).toEqual(name === 'simulator' ? ['simulator'] : undefined);
    }
    // The worker can be pointed at it; it sends to real Vonage by default.
    expect(environmentOf('worker').VONAGE_API_HOST).toBe('${VONAGE_API_HOST:-https://api.nexmo.com}');
  });

  it('runs the same commands as the npm scripts', () => {
    expect(services.api!.command, 'the API is the image default').toBeUndefined();
    expect(commandOf(services.worker!)).toEqual(npmScript('worker'));
    expect(commandOf(services.simulator!)).toEqual(npmScript('simulator'));
  });

  it('takes secrets from the environment (.env), never from the file', () => {
    const secret = /(TOKEN|SECRET|PASSWORD|PWD|_KEY|_KEY_DATA)$/;
    for (const name of Object.keys(services)) {
      for (const [key, value] of Object.entries(environmentOf(name))) {
        if (!secret.test(key) || value === null) continue;
        expect(requiredVariable(value), `${name}: ${key} comes from \${VAR:?message}`).toBeDefined();
      }
    }
    for (const name of ['api', 'worker']) {
      const url = String(environmentOf(name).DATABASE_URL);
      expect(/^postgres:\/\/[^:]+:(\$\{\w+:\?[^}]+\})@/.test(url), `${name}: the database password is interpolated`).toBe(true);
    }
  });

  it('keeps Postgres data in named volumes', () => {
    for (const name of ['postgres', 'temporal-postgres']) {
      const volumes = (services[name] as { volumes?: string[] }).volumes ?? [];
      const named = volumes.map((volume) => volume.split(':')[0]!).filter((source) => source in (compose.volumes ?? {}));
      expect(named, name).toHaveLength(1);
    }
  });
});

// ---- Dockerfile
interface Stage { name: string | undefined; from: string; instructions: { keyword: string; args: string }[] }
function dockerfileStages(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [, from = '', name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) ?? [];
      stages.push({ name, from, instructions: [] });
    } else if (stages.length === 0 && upper === 'ARG') {
      const [name, value = ''] = rest.split('=');
      args[name!] = value;
    } else {
      stages.at(-1)?.instructions.push({ keyword: upper, args: rest });
    }
  }
  return { args, stages };
}

const dockerfile = dockerfileStages(read('Dockerfile'));
const finalStage = dockerfile.stages.at(-1)!;
const stageNamed = (name: string) => dockerfile.stages.find((stage) => stage.name === name);
/** COPY's sources and destination, options dropped. */
function copyOf(args: string): { from: string | undefined; sources: string[]; destination: string } {
  const words = args.split(/\s+/);
  const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((word) => !word.startsWith('--'));
  return { from, sources: paths.slice(0, -1), destination: paths.at(-1)! };
}

/** Every project file an entry point loads, following relative imports (and `new URL('./x.ts', import.meta.url)`). */
function filesLoadedFrom(entryPoints: string[]): Set<string> {
  const seen = new Set<string>();
  const pending = [...entryPoints];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    expect(existsSync(join(projectRoot, file)), `${file} exists`).toBe(true);
    seen.add(file);
    const source = read(file);
    const specifiers = [
      ...source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g),
      ...source.matchAll(/new URL\(\s*['"](\.{1,2}\/[^'"]+\.ts)['"]\s*,\s*import\.meta\.url/g),
    ].map((match) => match[1]!);
    for (const specifier of specifiers) pending.push(normalize(join(dirname(file), specifier)));
  }
  return seen;
}

/** The allow-list .dockerignore is written as: `*`, then `!path` or `!folder/` exceptions. */
function dockerContextAdmits(file: string): boolean {
  const patterns = read('.dockerignore').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  let admitted = true;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const path = negated ? pattern.slice(1) : pattern;
    expect(path === '*' || /^[\w./-]+$/.test(path), `.dockerignore pattern ${pattern} is one this test understands`).toBe(true);
    const matches = path === '*' || file === path || (path.endsWith('/') && file.startsWith(path));
    if (matches) admitted = negated;
  }
  return admitted;
}

describe('Dockerfile', () => {
  it('builds on the official Node image, the version the tests run on', () => {
    expect(dockerfile.stages.length, 'multi-stage').toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile.stages) expect(stage.from).toMatch(/^node:\$\{NODE_VERSION\}-[a-z]+-slim$/);
    expect(dockerfile.args.NODE_VERSION).toBe(packageJson.devDependencies.node);
  });

  it('runs as a non-root user in the final stage', () => {
    const users = finalStage.instructions.filter((instruction) => instruction.keyword === 'USER').map((instruction) => instruction.args);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    const lastUser = finalStage.instructions.findLastIndex((instruction) => instruction.keyword === 'USER');
    expect(finalStage.instructions.slice(lastUser).some((instruction) => instruction.keyword === 'RUN')).toBe(false);
  });

  it('ships production dependencies only, installed without the Temporal binaries download', () => {
    const installs = dockerfile.stages.flatMap((stage) => stage.instructions.filter((instruction) => instruction.keyword === 'RUN' && /\bnpm (ci|install|i)\b/.test(instruction.args)).map((instruction) => ({ stage, instruction })));
    expect(installs.length).toBeGreaterThan(0);
    for (const { stage, instruction } of installs) {
      expect(instruction.args).toMatch(/\bnpm ci\b/);
      expect(instruction.args).toContain('--omit=dev');
      const skipsSetup = instruction.args.includes('--ignore-scripts') || stage.instructions.some((i) => i.keyword === 'ENV' && /\bSKIP_TEMPORAL_SETUP=1\b/.test(i.args));
      expect(skipsSetup, 'the postinstall must not fetch the Temporal dev server').toBe(true);
    }
    // node_modules reaches the final stage only from a stage that installed it as above.
    const modules = finalStage.instructions.filter((instruction) => instruction.keyword === 'COPY').map((instruction) => copyOf(instruction.args)).filter((copy) => copy.sources.some((source) => source.includes('node_modules')));
    for (const copy of modules) {
      expect(copy.from, 'node_modules is never copied from the build context').toBeDefined();
      expect(installs.some(({ stage }) => stage.name === copy.from)).toBe(true);
    }
    expect(dockerContextAdmits('node_modules/')).toBe(false);
    expect(dockerContextAdmits('.env')).toBe(false);
  });

  it('starts the API by default, as `npm run api` does', () => {
    const cmd = finalStage.instructions.filter((instruction) => instruction.keyword === 'CMD').at(-1);
    expect(JSON.parse(cmd!.args)).toEqual(npmScript('api'));
  });

  it('contains every file the processes load, and the build context admits it', () => {
    const entryPoints = [
      'api/main.ts', 'workers/main.ts', 'workers/bundle-cli.ts', 'workers/namespace-cli.ts', 'workflows/index.ts',
      'vonage/simulator/main.ts', 'db/migrate-cli.ts',
      ...[...commandOf(services.worker!), ...commandOf(services.simulator!), ...npmScript('api')].filter((word) => word.endsWith('.ts')),
    ];
    const loaded = filesLoadedFrom(entryPoints);
    const build = stageNamed(copyOf(finalStage.instructions.find((i) => i.keyword === 'COPY' && i.args.includes('--from='))!.args).from!)!;
    const copiedIntoBuild = build.instructions.filter((i) => i.keyword === 'COPY').flatMap((i) => copyOf(i.args).sources);
    const copiedIntoFinal = finalStage.instructions.filter((i) => i.keyword === 'COPY').flatMap((i) => copyOf(i.args).sources.map((source) => relative('/app', source)));
    const covers = (paths: string[], file: string) => paths.some((path) => file === path || file.startsWith(`${path.replace(/\/$/, '')}/`));
    for (const file of ['package.json', 'package-lock.json', ...loaded]) {
      expect(covers(copiedIntoBuild, file), `${file} is copied into the build stage`).toBe(true);
      expect(covers(copiedIntoFinal, file), `${file} is copied into the final stage`).toBe(true);
      expect(dockerContextAdmits(file), `.dockerignore admits ${file}`).toBe(true);
    }
    // …and nothing that is only for development.
    for (const path of ['test', 'scripts/dev.ts', 'scripts/bench', '.tools', '.data']) expect(dockerContextAdmits(path), path).toBe(false);
  });
});
