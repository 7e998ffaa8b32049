// A stand-in of the GitHub REST deployments API, as far as the Deployments tracker uses it (create a
// deployment, list a ring environment's deployments, create a deployment status) for the repository
// acme/vision. It is the one mock of the tests that use it: there is no local GitHub. It records
// every request, and can refuse the token (403, as GitHub does without `deployments: write`) or fail
// once with a 500 whose body echoes the credential, to prove the tracker never logs it.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  authorization?: string;
  body?: Record<string, unknown>;
}

interface StoredDeployment extends Record<string, unknown> {
  id: number;
  environment: string;
  payload: unknown;
  statuses: Array<Record<string, unknown>>;
}

/** The GitHub REST deployments API, as far as the tracker uses it. */
export class GitHubStandIn {
  readonly requests: Recorded[] = [];
  readonly deployments: StoredDeployment[] = [];
  mode: 'ok' | 'forbidden' | 'fail-next-status' = 'ok';
  private server?: Server;
  private nextId = 1000;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(([status, body]) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Deployments created since `from`, with their statuses' states. */
  summary(from = 0) {
    return this.deployments.slice(from).map((d) => ({
      environment: d.environment,
      states: d.statuses.map((s) => s.state),
    }));
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown]> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    const authorization = req.headers.authorization;
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      ...(authorization ? { authorization } : {}),
      ...(body ? { body } : {}),
    });
    if (this.mode === 'forbidden') {
      return [
        403,
        {
          message: 'Resource not accessible by integration',
          documentation_url: 'https://docs.github.com/rest/deployments/deployments#create-a-deployment',
          status: '403',
        },
      ];
    }
    const list = /^\/repos\/acme\/vision\/deployments$/.test(url.pathname);
    const statuses = /^\/repos\/acme\/vision\/deployments\/(\d+)\/statuses$/.exec(url.pathname);
    if (list && req.method === 'POST') {
      const deployment: StoredDeployment = {
        ...body,
        id: this.nextId++,
        environment: String(body?.environment),
        payload: body?.payload,
        statuses: [],
      };
      this.deployments.push(deployment);
      return [201, { ...deployment, statuses: undefined }];
    }
    if (list && req.method === 'GET') {
      const environment = url.searchParams.get('environment');
      const found = this.deployments.filter((d) => !environment || d.environment === environment).reverse();
      return [200, found.map((d) => ({ ...d, statuses: undefined }))];
    }
    if (statuses && req.method === 'POST') {
      if (this.mode === 'fail-next-status') {
        this.mode = 'ok';
        return [500, { message: `upstream failed for Authorization: ${authorization ?? ''}` }];
      }
      const deployment = this.deployments.find((d) => d.id === Number(statuses[1]));
      if (!deployment) return [404, { message: 'Not Found' }];
      deployment.statuses.push(body ?? {});
      return [201, { id: this.nextId++, ...body }];
    }
    return [404, { message: 'Not Found' }];
  }
}
