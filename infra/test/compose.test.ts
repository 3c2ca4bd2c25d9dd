// docker-compose.yml cannot run on the CI machine (no Docker engine), so this test keeps it honest
// against what does run: the local stack (infra/local, infra/kafka) and the configuration defaults
// of packages/config. Any drift in ports, topic names, database name, variable names or broker
// settings between the three makes it fail.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { baseConfigSchema, topicNames } from '@edusage/config';
import { ingestConfigSchema } from '../../services/ingest/src/config';
import { enrichConfigSchema } from '../../services/enrich/src/config';
import { aggregateConfigSchema } from '../../services/aggregate/src/config';
import { COMPOSE_PLACEHOLDER_PSEUDONYM_KEY } from '../../services/enrich/src/enrich/key-fingerprint';
import { API_NODE_OPTIONS } from '../../services/api/src/node-options';
import {
  SERVICE_NODE_ARGS,
  WORKER_MALLOC_ENV,
  WORKER_NODE_ARGS,
  envAssignments,
  serviceCommand,
} from '../../packages/demo/src/services';

const repo = join(__dirname, '..', '..');
const read = (rel: string): string => readFileSync(join(repo, rel), 'utf8');

interface ComposeService {
  image?: string;
  command?: string[] | string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string | number | boolean>;
  depends_on?: Record<string, unknown>;
  build?: unknown;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  'x-edusage-topics': string[];
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
const defaults = baseConfigSchema.parse({});
const stackScript = read('infra/local/stack');
const kafkaTemplate = read('infra/kafka/server.properties.template');
const chConfig = read('infra/local/clickhouse-config.xml.template');
const chUsers = read('infra/local/clickhouse-users.xml.template');
const redisTemplate = read('infra/local/redis.conf.template');

const PIPELINE = ['ingest', 'enrich', 'aggregate'] as const;
const schemas = { ingest: ingestConfigSchema, enrich: enrichConfigSchema, aggregate: aggregateConfigSchema };

/** Default port of the local stack, from `X="${STACK_X:-1234}"` in infra/local/stack. */
function stackPort(name: string): number {
  const m = new RegExp(`^${name}="\\$\\{STACK_\\w+:-(\\d+)\\}"$`, 'm').exec(stackScript);
  if (!m) throw new Error(`infra/local/stack has no default for ${name}`);
  return Number(m[1]);
}

/** key=value lines of a .properties file. */
function properties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    out.set(t.slice(0, eq).trim(), t.slice(eq + 1).trim());
  }
  return out;
}

/** Published ports of a compose service as "hostIp:hostPort:containerPort" triples. */
function published(service: string): Array<{ ip: string; host: number; container: number }> {
  return (compose.services[service]?.ports ?? []).map((p) => {
    const parts = String(p).split(':');
    if (parts.length !== 3) throw new Error(`${service}: port "${p}" must be 127.0.0.1:host:container`);
    return { ip: parts[0]!, host: Number(parts[1]), container: Number(parts[2]) };
  });
}

const portOf = (url: string): number => Number(new URL(url).port);

/** What an operator's .env holds (docker compose substitutes `${VAR}`, `${VAR:-default}`, `${VAR:?error}`). */
const DOT_ENV = {
  CLICKHOUSE_PASSWORD: 'chPassw0rd',
  CLICKHOUSE_RESEARCH_PASSWORD: 'r3searchPassw0rd',
  REDIS_PASSWORD: 'r3disPassw0rd',
  PSEUDONYM_KEY: 'a-real-secret-key-0123456789',
};

/** Compose's variable substitution (the subset docker-compose.yml uses); a missing `:?` variable throws its error. */
function substitute(value: unknown, vars: Record<string, string>): string {
  return String(value).replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
    const v = vars[name];
    if (v !== undefined && v !== '') return v;
    if (op === '-') return arg ?? '';
    if (op === '?') throw new Error(`${name}: ${arg}`);
    return '';
  });
}

/** A service's environment as its process sees it, with the given .env. */
const envOf = (service: string, vars: Record<string, string> = DOT_ENV): Record<string, string> =>
  Object.fromEntries(
    Object.entries(compose.services[service]?.environment ?? {}).map(([k, v]) => [k, substitute(v, vars)]),
  );

describe('docker-compose.yml agrees with the local stack and packages/config', () => {
  const ports = {
    kafka: stackPort('KAFKA_PORT'),
    clickhouseHttp: stackPort('CH_HTTP_PORT'),
    clickhouseTcp: stackPort('CH_TCP_PORT'),
    redis: stackPort('REDIS_PORT'),
  };

  it('the local stack uses the ports packages/config defaults to', () => {
    expect(defaults.KAFKA_BROKERS).toEqual([`127.0.0.1:${ports.kafka}`]);
    expect(defaults.CLICKHOUSE_URL).toBe(`http://127.0.0.1:${ports.clickhouseHttp}`);
    expect(portOf(defaults.REDIS_URL)).toBe(ports.redis);
    expect(new URL(defaults.REDIS_URL).hostname).toBe('127.0.0.1');
  });

  it('publishes the same host ports as the local stack, on 127.0.0.1 only', () => {
    expect(published('kafka')).toEqual([{ ip: '127.0.0.1', host: ports.kafka, container: ports.kafka }]);
    expect(published('clickhouse')).toEqual(
      expect.arrayContaining([
        { ip: '127.0.0.1', host: ports.clickhouseHttp, container: 8123 },
        { ip: '127.0.0.1', host: ports.clickhouseTcp, container: 9000 },
      ]),
    );
    expect(published('clickhouse')).toHaveLength(2);
    expect(published('redis')).toEqual([{ ip: '127.0.0.1', host: ports.redis, container: 6379 }]);
    for (const name of Object.keys(compose.services)) {
      for (const p of published(name)) expect({ name, ip: p.ip }).toEqual({ name, ip: '127.0.0.1' });
    }
  });

  it('the Kafka broker advertises the published port to the host', () => {
    const env = compose.services.kafka!.environment!;
    expect(String(env.KAFKA_ADVERTISED_LISTENERS)).toContain(`://127.0.0.1:${ports.kafka}`);
    expect(kafkaTemplate).toContain('listeners=PLAINTEXT://127.0.0.1:@KAFKA_PORT@,');
  });

  it('lists the topic names of packages/config', () => {
    expect([...compose['x-edusage-topics']].sort()).toEqual(Object.values(topicNames()).sort());
    expect(compose['x-edusage-topics']).toEqual(['usage.raw', 'usage.enriched', 'usage.dlq']);
  });

  it('uses the database name packages/config defaults to', () => {
    expect(defaults.CLICKHOUSE_DATABASE).toBe('edusage');
    expect(compose.services.clickhouse!.environment!.CLICKHOUSE_DB).toBe(defaults.CLICKHOUSE_DATABASE);
    for (const name of PIPELINE) {
      expect(compose.services[name]!.environment!.CLICKHOUSE_DATABASE).toBe(defaults.CLICKHOUSE_DATABASE);
    }
  });

  describe.each(PIPELINE)('service %s', (name) => {
    const svc = compose.services[name]!;
    const env = envOf(name);

    it('is built from the shared Dockerfile and runs its own dist/main.js with the lean heap of the demo and the README', () => {
      expect(svc.build).toBeDefined();
      expect(SERVICE_NODE_ARGS[name]?.length).toBeGreaterThan(0);
      expect(svc.command).toEqual(['node', ...SERVICE_NODE_ARGS[name]!, `services/${name}/dist/main.js`]);
      expect(read(`services/${name}/README.md`)).toContain(serviceCommand(name));
      expect(read('README.md')).toContain(`node ${WORKER_NODE_ARGS.join(' ')}`);
      expect(read('docs/ARCHITECTURE.md')).toContain(`node ${WORKER_NODE_ARGS.join(' ')}`);
      expect(read('README.md')).toContain(envAssignments(WORKER_MALLOC_ENV));
      // The image's default command (ingest) and enrich's start script start the same way.
      expect(read('Dockerfile')).toContain(
        `CMD ${JSON.stringify(['node', ...WORKER_NODE_ARGS, 'services/ingest/dist/main.js']).replace(/,/g, ', ')}`,
      );
      expect(JSON.parse(read('services/enrich/package.json')).scripts.start).toBe(
        `${envAssignments(WORKER_MALLOC_ENV)} node ${WORKER_NODE_ARGS.join(' ')} dist/main.js`,
      );
      expect(Object.keys(svc.depends_on ?? {}).sort()).toEqual(['clickhouse', 'kafka', 'redis']);
    });

    it("sets the workers' malloc setting, and otherwise only variables its config schema knows", () => {
      for (const [k, v] of Object.entries(WORKER_MALLOC_ENV)) expect(String(env[k])).toBe(v);
      const known = [...Object.keys(schemas[name].shape), ...Object.keys(WORKER_MALLOC_ENV)];
      const unknown = Object.keys(env).filter((k) => !known.includes(k));
      expect(unknown).toEqual([]);
    });

    it('reaches the backing services on their container ports', () => {
      for (const key of ['KAFKA_BROKERS', 'CLICKHOUSE_URL', 'CLICKHOUSE_DATABASE', 'REDIS_URL', 'KAFKA_TOPIC_PREFIX']) {
        expect(Object.keys(env)).toContain(key);
      }
      const broker = String(env.KAFKA_BROKERS).split(',')[0]!;
      const internal = String(compose.services.kafka!.environment!.KAFKA_ADVERTISED_LISTENERS)
        .split(',')
        .find((l) => l.startsWith('PLAINTEXT://'));
      expect(`PLAINTEXT://${broker}`).toBe(internal);
      expect(new URL(String(env.CLICKHOUSE_URL)).hostname).toBe('clickhouse');
      expect(portOf(String(env.CLICKHOUSE_URL))).toBe(8123);
      expect(new URL(String(env.REDIS_URL)).hostname).toBe('redis');
      expect(portOf(String(env.REDIS_URL))).toBe(6379);
      expect(String(env.KAFKA_PARTITIONS)).toBe(String(defaults.KAFKA_PARTITIONS));
    });

    it('accepts the compose environment through its config schema', () => {
      const parsed = schemas[name].parse(env);
      expect(parsed.CLICKHOUSE_DATABASE).toBe(defaults.CLICKHOUSE_DATABASE);
    });

    it('logs in to ClickHouse and Redis with the passwords of .env, which are required', () => {
      const parsed = schemas[name].parse(env);
      expect(parsed.CLICKHOUSE_PASSWORD).toBe(DOT_ENV.CLICKHOUSE_PASSWORD);
      expect(new URL(parsed.REDIS_URL).password).toBe(DOT_ENV.REDIS_PASSWORD);
      expect(() => envOf(name, { ...DOT_ENV, CLICKHOUSE_PASSWORD: '' })).toThrow(/CLICKHOUSE_PASSWORD.*\.env/);
      expect(() => envOf(name, { ...DOT_ENV, REDIS_PASSWORD: '' })).toThrow(/REDIS_PASSWORD.*\.env/);
    });
  });

  it('ingest listens on INGEST_PORT 8080, published on 127.0.0.1', () => {
    const env = compose.services.ingest!.environment!;
    expect(String(env.INGEST_PORT)).toBe('8080');
    expect(env.INGEST_HOST).toBe('0.0.0.0');
    expect(published('ingest')).toEqual([{ ip: '127.0.0.1', host: 8080, container: 8080 }]);
  });

  it('the API runs with the Node options of services/api (a larger young generation), in compose, the README and the demo', () => {
    expect(compose.services.api!.environment!.NODE_OPTIONS).toBe(API_NODE_OPTIONS);
    expect(read('services/api/README.md')).toContain(`node ${API_NODE_OPTIONS} services/api/dist/main.js`);
    expect(serviceCommand('api')).toBe(`node ${API_NODE_OPTIONS} services/api/dist/main.js`);
  });

  it('enrich takes PSEUDONYM_KEY from .env and refuses to start with the placeholder used without it', () => {
    expect(envOf('enrich').PSEUDONYM_KEY).toBe(DOT_ENV.PSEUDONYM_KEY);
    const placeholder = envOf('enrich', { ...DOT_ENV, PSEUDONYM_KEY: '' }).PSEUDONYM_KEY!;
    expect(placeholder).toBe(COMPOSE_PLACEHOLDER_PSEUDONYM_KEY);
    const refused = enrichConfigSchema.safeParse({ ...envOf('enrich'), PSEUDONYM_KEY: placeholder });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.path).toEqual(['PSEUDONYM_KEY']);
  });

  it('ClickHouse and Redis require the passwords of .env', () => {
    expect(envOf('clickhouse').CLICKHOUSE_PASSWORD).toBe(DOT_ENV.CLICKHOUSE_PASSWORD);
    expect(envOf('clickhouse').CLICKHOUSE_SKIP_USER_SETUP).toBeUndefined();
    const cmd = (compose.services.redis!.command as string[]).map((c) => substitute(c, DOT_ENV));
    expect(cmd[cmd.indexOf('--requirepass') + 1]).toBe(DOT_ENV.REDIS_PASSWORD);
    // The health check's redis-cli authenticates through REDISCLI_AUTH.
    expect(envOf('redis').REDISCLI_AUTH).toBe(DOT_ENV.REDIS_PASSWORD);
    for (const service of ['clickhouse', 'redis']) {
      expect(() => envOf(service, {})).toThrow(/PASSWORD.*\.env/);
    }
    expect(read('.env.example')).toMatch(/^CLICKHOUSE_PASSWORD=$/m);
    expect(read('.env.example')).toMatch(/^REDIS_PASSWORD=$/m);
    expect(read('.gitignore')).toMatch(/^\/\.env$/m);
  });

  it("ClickHouse has no size stop on drops (retention, migrations), in compose as in the local stack's config", () => {
    const file = 'infra/local/clickhouse-config.d/drop-limits.xml';
    expect(compose.services.clickhouse!.volumes).toContain(
      `./${file}:/etc/clickhouse-server/config.d/drop-limits.xml:ro`,
    );
    for (const setting of ['max_table_size_to_drop', 'max_partition_size_to_drop']) {
      const value = (xml: string) => new RegExp(`<${setting}>([^<]*)</${setting}>`).exec(xml)?.[1];
      expect([setting, value(read(file))]).toEqual([setting, '0']);
      expect([setting, value(chConfig)]).toEqual([setting, '0']);
    }
  });

  it('runs the Kafka release of infra/kafka/pom.xml with the broker settings of the local stack', () => {
    const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(read('infra/kafka/pom.xml'))![1];
    expect(compose.services.kafka!.image).toBe(`apache/kafka:${version}`);

    const env = compose.services.kafka!.environment!;
    // Settings that differ by nature (addresses, paths, thread tuning) are not compared.
    const notCompared = new Set([
      'node.id',
      'controller.quorum.bootstrap.servers',
      'listeners',
      'advertised.listeners',
      'listener.security.protocol.map',
      'log.dirs',
      'num.network.threads',
      'num.io.threads',
      'log.segment.bytes',
      'log.retention.check.interval.ms',
    ]);
    const props = properties(kafkaTemplate);
    expect(props.get('num.partitions')).toBe(String(defaults.KAFKA_PARTITIONS));
    expect(props.get('auto.create.topics.enable')).toBe('false');
    const mismatches: string[] = [];
    for (const [key, value] of props) {
      if (notCompared.has(key)) continue;
      const envName = `KAFKA_${key.toUpperCase().replace(/\./g, '_')}`;
      if (String(env[envName]) !== value) mismatches.push(`${key}=${value} vs ${envName}=${env[envName]}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('ClickHouse local config listens on loopback only, with the stack ports, in the 18.16 format', () => {
    expect(chConfig).toMatch(/<yandex>[\s\S]*<\/yandex>/);
    expect(chUsers).toMatch(/<yandex>[\s\S]*<\/yandex>/);
    expect(chConfig).toContain('<http_port>@CH_HTTP_PORT@</http_port>');
    expect(chConfig).toContain('<tcp_port>@CH_TCP_PORT@</tcp_port>');
    expect([...chConfig.matchAll(/<listen_host>([^<]+)<\/listen_host>/g)].map((m) => m[1])).toEqual(['127.0.0.1']);
    expect(chConfig).not.toMatch(/<interserver_http_port>/);
    // user default, empty password, as CLICKHOUSE_USER / CLICKHOUSE_PASSWORD default to.
    expect(defaults.CLICKHOUSE_USER).toBe('default');
    expect(defaults.CLICKHOUSE_PASSWORD).toBe('');
    expect(chUsers).toMatch(/<default>\s*<password><\/password>/);
  });

  it('the Dockerfile, scripts/bootstrap and package.json agree on the pnpm version, and the image has the migrations', () => {
    const pkg = JSON.parse(read('package.json')) as { packageManager: string };
    const version = pkg.packageManager.replace(/^pnpm@/, '');
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toContain(`pnpm@${version}`);
    expect(read('scripts/bootstrap')).toMatch(new RegExp(`^PNPM_VERSION=${version.replace(/\./g, '\\.')}$`, 'm'));
    expect(dockerfile).toMatch(/^COPY infra\/clickhouse /m);
    expect(dockerfile).toContain('pnpm install --frozen-lockfile');
  });

  it('Redis keeps an append-only file in both setups', () => {
    const conf = properties(redisTemplate.replace(/^(\S+)\s+/gm, '$1='));
    expect(conf.get('bind')).toBe('127.0.0.1');
    expect(conf.get('port')).toBe('@REDIS_PORT@');
    expect(conf.get('appendonly')).toBe('yes');
    expect(conf.get('appendfsync')).toBe('everysec');
    const cmd = compose.services.redis!.command as string[];
    expect(cmd[cmd.indexOf('--appendonly') + 1]).toBe('yes');
    expect(cmd[cmd.indexOf('--appendfsync') + 1]).toBe('everysec');
  });
});
