// A real OAuth 2.1 authorization server for the tests: node-oidc-provider on loopback.
//
//   node authorization_server.mjs   (env SIGNING_JWK: the private RSA JWK it signs with)
//
// Prints `READY <port>` once listening. Client `tests` / `secret` gets client-credentials
// access tokens as JWTs whose `aud` is the requested `resource` (RFC 8707) and whose `scope`
// is what it asked for among things.read and things.write; a resource whose URI contains
// "opaque" gets opaque tokens instead, for RFC 7662 introspection.
import http from "node:http";
import Provider from "oidc-provider";

const SCOPES = "things.read things.write";
const server = http.createServer();
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [
      {
        client_id: "tests",
        client_secret: "secret",
        grant_types: ["client_credentials"],
        redirect_uris: [],
        response_types: [],
        scope: SCOPES,
      },
    ],
    jwks: { keys: [JSON.parse(process.env.SIGNING_JWK)] },
    scopes: SCOPES.split(" "),
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => ({
          audience: resource,
          scope: SCOPES,
          accessTokenFormat: resource.includes("opaque") ? "opaque" : "jwt",
          accessTokenTTL: 300,
        }),
      },
    },
  });
  server.on("request", provider.callback());
  process.stdout.write(`READY ${port}\n`);
});
