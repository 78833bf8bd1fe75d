// A local OpenID Connect provider (node's oidc-provider, a certified implementation)
// for the tests and `make run`: one static client, and users whose e-mail addresses
// match staff members. Its own login and consent pages take any password.
//
//   OIDC_PORT=8556 OIDC_CLIENT='{"client_id": "...", "client_secret": "...",
//     "redirect_uris": ["http://127.0.0.1:8000/login/sso/callback/"]}'
//   OIDC_USERS='{"alice@cabinet.example": {"email_verified": true, "name": "Alice"}}'
//   node scripts/oidc_provider.mjs
//
// A user's email_verified null: the claim is left out, as Microsoft Entra ID does;
// their "oid" and "tid" (Entra ID's object and tenant ids) go in the ID token.
//
// A login not listed in OIDC_USERS signs in too, as an address the provider vouches for.
// Prints "ready <issuer>" once it listens.
import { generateKeyPairSync } from "node:crypto";
import Provider from "oidc-provider";

const port = Number(process.env.OIDC_PORT || 8556);
const host = process.env.OIDC_HOST || "127.0.0.1";
const issuer = process.env.OIDC_ISSUER || `http://${host}:${port}`;
const client = JSON.parse(process.env.OIDC_CLIENT || "{}");
const users = JSON.parse(process.env.OIDC_USERS || "{}");

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: "local-1", use: "sig", alg: "RS256" };

function account(login) {
  const known = users[login] || {};
  return {
    accountId: login,
    async claims() {
      const claims = { sub: login, email: known.email || login, name: known.name || login };
      if (known.email_verified !== null) claims.email_verified = known.email_verified ?? true;
      if (known.oid) Object.assign(claims, { oid: known.oid, tid: known.tid });
      return claims;
    },
  };
}

const provider = new Provider(issuer, {
  clients: [
    {
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      ...client,
    },
  ],
  claims: { openid: ["sub", "oid", "tid"], email: ["email", "email_verified"], profile: ["name"] },
  conformIdTokenClaims: false, // the ID token carries the e-mail claims the scope asks for
  findAccount: async (_ctx, id) => account(id),
  jwks: { keys: [signingKey] },
  pkce: { required: () => true },
  cookies: { keys: [process.env.OIDC_COOKIE_KEY || "local-provider-cookie-key"] },
  features: { devInteractions: { enabled: true } },
});
provider.on("server_error", (_ctx, error) => console.error("server_error", error));

const server = provider.listen(port, host, () => {
  console.log(`ready ${issuer}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
