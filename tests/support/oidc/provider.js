// A real OpenID Connect provider (oidc-provider) for casebook's sign-in tests, on loopback.
//
// Settings come from the environment:
//   OIDC_PORT      the port to listen on (127.0.0.1 only)
//   OIDC_CLIENTS   JSON list of clients: client_id, client_secret, redirect_uris,
//                  post_logout_redirect_uris
//   OIDC_CLAIMS    JSON object: the claims every account has (role, municipalities)
//   OIDC_ACCOUNTS  JSON object: login name -> its own claims, over those
// The development interactions sign in any login name (any password) and ask for
// consent; an account's staff_id is its login name unless its claims say otherwise, and
// its claims go into the ID token (scope "casebook").
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]');
const common = JSON.parse(process.env.OIDC_CLAIMS || '{}');
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key-1', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: clients.map((c) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    ...c,
  })),
  jwks: { keys: [jwk] },
  cookies: { keys: ['casebook-tests-only-provider-cookie-key'] },
  claims: { openid: ['sub'], casebook: ['staff_id', 'role', 'municipalities', 'name'] },
  scopes: ['openid', 'casebook'],
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, staff_id: id, ...common, ...(accounts[id] || {}) };
      },
    };
  },
});
provider.proxy = false;

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider ready at ${issuer}`);
});
