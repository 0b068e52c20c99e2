import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parse } from 'yaml';

// Guards the production topology file: valid for Compose, and api/worker wired to the services.
const root = path.resolve(__dirname, '..');
const composeFile = path.join(root, 'docker-compose.yml');

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
});
