import Fastify, { type FastifyInstance } from 'fastify';
import { splitVersionPrefix, versionProblem } from './api-version';
import { DockerApiError, sendDockerError } from './docker-error';
import { registerAuthRoutes } from './routes/auth-routes';
import { registerContainerRoutes, type ContainerRouteDeps } from './routes/container-routes';
import { registerEventRoutes, type EventRouteDeps } from './routes/event-routes';
import { registerExecRoutes, type ExecRouteDeps } from './routes/exec-routes';
import { registerImageRoutes, type ImageRouteDeps } from './routes/image-routes';
import { registerNetworkRoutes, type NetworkRouteDeps } from './routes/network-routes';
import { registerSystemRoutes, type VchFacts } from './routes/system-routes';
import { routeUpgradeRequests } from './upgrade-requests';
import { registerVolumeRoutes, type VolumeRouteDeps } from './routes/volume-routes';

export interface ApiServerDeps extends ImageRouteDeps, ContainerRouteDeps, ExecRouteDeps, EventRouteDeps, VolumeRouteDeps, NetworkRouteDeps {
  facts: VchFacts;
}

/**
 * PEM texts: the server's certificate and key, and the CAs client certificates must be signed by.
 * Without `clientCas` any client may connect (vic-machine --no-tlsverify): TLS then only hides and
 * authenticates the server.
 */
export interface ServerTls {
  cert: string;
  key: string;
  clientCas?: string;
}

/** Engine API areas dockerd has and vic does not: answered as such, not as unknown pages. */
const unsupportedAreas = ['/build', '/swarm', '/nodes', '/services', '/tasks', '/secrets', '/configs', '/plugins', '/session', '/distribution', '/commit', '/grpc'];

/**
 * The Docker Engine API of a VCH. Routes are registered without the `/v1.xx` prefix; a request's
 * prefix is checked against the supported range and stripped before routing.
 */
export function buildApiServer(deps: ApiServerDeps, tls?: ServerTls): FastifyInstance {
  const app = Fastify({
    // allowHalfOpen: docker half-closes an attach connection when it has no stdin to send; Node's
    // https server (unlike its http server) would end the socket at once and lose the output.
    ...(tls ? { https: { cert: tls.cert, key: tls.key, ...(tls.clientCas === undefined ? {} : { ca: tls.clientCas, requestCert: true, rejectUnauthorized: true }), allowHalfOpen: true } } : {}),
    logger: false,
    // Attach, logs --follow and events hold their connections; closing the endpoint ends them.
    forceCloseConnections: true,
    bodyLimit: 1024 * 1024,
    rewriteUrl: (request) => splitVersionPrefix(request.url ?? '/').path,
  });

  app.addHook('onRequest', async (request) => {
    const { version } = splitVersionPrefix(request.originalUrl);
    const problem = version === undefined ? null : versionProblem(version);
    if (problem !== null) throw new DockerApiError(400, problem);
  });

  // Archives and other uploads are read as streams by their routes, never buffered here.
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  app.setErrorHandler((error, _request, reply) => {
    const failure = error as Error & { statusCode?: number };
    const status = failure instanceof DockerApiError ? failure.status : (failure.statusCode ?? 500);
    sendDockerError(reply, status, failure.message);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const unsupported = unsupportedAreas.some((area) => path === area || path.startsWith(`${area}/`));
    const message = unsupported ? `${request.method} ${path} is not supported by vic` : 'page not found';
    sendDockerError(reply, unsupported ? 501 : 404, message);
  });

  routeUpgradeRequests(app);

  registerSystemRoutes(app, { facts: deps.facts, images: deps.images, containers: deps.containers, volumes: deps.volumes });
  registerImageRoutes(app, deps);
  registerAuthRoutes(app, deps.registry);
  registerContainerRoutes(app, deps);
  registerExecRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerNetworkRoutes(app, deps);
  registerVolumeRoutes(app, deps);
  return app;
}
