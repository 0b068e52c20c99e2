import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

// Guards the production topology file and image: valid for Compose, api/worker wired to the
// services, probed by Node, nothing but the API reachable from outside, a supported Node.
const root = path.resolve(__dirname, '..');
const composeFile = path.join(root, 'docker-compose.yml');
const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');

/** End of life of the even (LTS) Node lines (https://github.com/nodejs/Release): an image past it fails here. */
const NODE_LTS_END_OF_LIFE: Record<number, string> = { 20: '2026-04-30', 22: '2027-04-30', 24: '2028-04-30', 26: '2029-04-30' };

/** A published port as `docker-compose config` prints it: `127.0.0.1:7233:7233/tcp`, or `{ published, target, host_ip? }`. */
function publishedPort(port: unknown): { hostIp: string; published: number } {
  if (typeof port === 'string') {
    const m = /^(?:(.+):)?(\d+):(\d+)(?:\/\w+)?$/.exec(port);
    if (!m) throw new Error(`unexpected port syntax: ${port}`);
    return { hostIp: m[1] ?? '0.0.0.0', published: Number(m[2]) };
  }
  const long = port as { published?: number | string; host_ip?: string };
  return { hostIp: long.host_ip ?? '0.0.0.0', published: Number(long.published) };
}

function compose(args: string[]): string {
  try {
    return execFileSync('docker-compose', ['-f', composeFile, ...args], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      // The file insists on a webhook signing secret of one's own.
      env: { ...process.env, WEBHOOK_SECRET: 'compose-test-secret', PAYLOAD_KEYS: 'compose:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error('docker-compose is not installed (apt-get install -y docker-compose; .ci/run does this)');
    }
    throw new Error(`docker-compose ${args.join(' ')} failed:\n${e.stderr ?? e.message}`);
  }
}

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition?: string }> | string[];
  deploy?: { replicas?: number };
  ports?: unknown[];
  expose?: Array<string | number>;
  healthcheck?: { test?: string[] | string };
}

describe('docker-compose.yml', () => {
  let services: Record<string, Service>;

  beforeAll(() => {
    services = (parse(compose(['config'])) as { services: Record<string, Service> }).services;
  });

  it('passes `docker-compose config -q`', () => {
    expect(() => compose(['config', '-q'])).not.toThrow();
  });

  it('has the five services of the production topology', () => {
    for (const name of ['postgresql', 'temporal', 'temporal-ui', 'api', 'worker']) {
      expect(services).toHaveProperty(name);
    }
    expect(services.postgresql?.image).toMatch(/^postgres:16/);
    expect(services['temporal-ui']?.image).toMatch(/^temporalio\/ui:/);
    expect(services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('persists Temporal in the postgresql service', () => {
    const env = services.temporal?.environment ?? {};
    expect(env.DB).toBe('postgres12');
    expect(env.POSTGRES_SEEDS).toBe('postgresql');
  });

  it.each(['api', 'worker'])('%s is built from the Dockerfile and points at temporal and postgresql', (name) => {
    const svc = services[name]!;
    expect(svc.build).toBeDefined();
    const command = Array.isArray(svc.command) ? svc.command.join(' ') : svc.command;
    expect(command).toBe(`node dist/${name}/main.js`);

    const env = svc.environment ?? {};
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(env.TEMPORAL_NAMESPACE).toBe('default');
    // Production refuses to start without payload keys; the file insists on them.
    expect(env.PAYLOAD_KEYS).toBe('compose:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    const db = new URL(env.DATABASE_URL ?? '');
    expect(db.hostname).toBe('postgresql');
    expect(db.pathname).toBe('/cases');

    const deps = svc.depends_on as Record<string, { condition?: string }>;
    expect(deps.postgresql?.condition).toBe('service_healthy');
    // temporal is reached through the namespace job, which waits for it to serve.
    expect(deps['temporal-namespace']?.condition).toBe('service_completed_successfully');
    expect(services['temporal-namespace']?.depends_on).toMatchObject({ temporal: { condition: 'service_healthy' } });
  });

  it('scales the worker out', () => {
    expect(services.worker?.deploy?.replicas).toBe(2);
  });

  it.each(['api', 'worker'])('%s has a healthcheck run by Node (the slim image has no curl)', (name) => {
    expect(services[name]?.healthcheck?.test).toEqual(['CMD', 'node', 'dist/scripts/healthcheck.js']);
  });

  it('publishes only the API on every interface; Temporal and its UI on this machine only', () => {
    const published = Object.entries(services).flatMap(([name, svc]) => (svc.ports ?? []).map((p) => ({ name, ...publishedPort(p) })));
    expect(published.filter((p) => p.name === 'api')).toEqual([{ name: 'api', hostIp: '0.0.0.0', published: 3000 }]);
    for (const p of published.filter((x) => x.name !== 'api')) expect(p).toMatchObject({ hostIp: '127.0.0.1' });
    expect(published.map((p) => p.name).sort()).toEqual(['api', 'temporal', 'temporal-ui']);
    // The worker's health and metrics port is for the compose network (probes, Prometheus), not published.
    expect(services.worker?.environment?.WORKER_PORT).toBe('3001');
    expect(services.worker?.expose?.map(String)).toEqual(['3001']);
  });
});

describe('Dockerfile', () => {
  const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);

  it('builds and runs on a Node LTS line that is still supported', () => {
    expect(stages.length).toBeGreaterThan(0);
    for (const image of stages) {
      const major = Number(/^node:(\d+)/.exec(image)?.[1]);
      expect({ image, lts: major % 2 === 0 && major in NODE_LTS_END_OF_LIFE }).toEqual({ image, lts: true });
      expect({ image, supported: Date.parse(NODE_LTS_END_OF_LIFE[major]!) > Date.now() }).toEqual({ image, supported: true });
    }
    // The engines field admits the image's Node.
    const engines = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toMatch(/^>=\s*\d/);
  });

  it('prebuilds the workflow bundle and points the worker at it', () => {
    expect(dockerfile).toMatch(/npm run build:workflows -- dist\/workflow-bundle\.js/);
    expect(dockerfile).toMatch(/^ENV WORKFLOW_BUNDLE=\/app\/dist\/workflow-bundle\.js$/m);
  });

  it('has a HEALTHCHECK run by Node', () => {
    expect(dockerfile).toMatch(/^HEALTHCHECK .*CMD \["node", "dist\/scripts\/healthcheck\.js"\]$/m);
  });
});
