import { AppError, isAppError } from "@corral/lib";
import * as client from "openid-client";
import type { LoginResult, RedirectProvider } from "../identity.ts";
import {
  defaultProviderTimeoutMs,
  isNetworkError,
  networkFailure,
  networkReason,
  timedFetch,
} from "../timed-fetch.ts";
import { identitiesFromClaims } from "./claims.ts";
import { type OidcConfig, oidcScopes } from "./config.ts";
import { LoginStates } from "./login-states.ts";

/** Knobs of an OpenID provider beyond its config (tests shorten them). */
export interface OidcProviderOptions {
  timeoutMs?: number;
  states?: LoginStates;
}

const maxStateLength = 512;
const maxCodeLength = 4096;

/** The failure of a request to the issuer, as the caller should see it. */
function issuerError(e: unknown, issuer: string, doing: string): AppError {
  if (isAppError(e)) return e;
  if (e instanceof client.ResponseBodyError) {
    const detail = e.error_description ? `${e.error}: ${e.error_description}` : e.error;
    if (e.status >= 500)
      return new AppError("Unavailable", `OpenID provider ${issuer} failed ${doing}: ${detail}`);
    return new AppError("Unauthorized", `OpenID provider refused the login: ${detail}`, { cause: e });
  }
  if (e instanceof client.WWWAuthenticateChallengeError) {
    const params = e.cause[0]?.parameters ?? {};
    const error = params.error ?? e.message;
    const hint = error === "invalid_client" ? " (check clientId and clientSecret)" : "";
    return new AppError("Unauthorized", `OpenID provider refused the login: ${error}${hint}`, { cause: e });
  }
  if (e instanceof client.AuthorizationResponseError) {
    return new AppError("Unauthorized", `OpenID provider refused the login: ${e.error}`, { cause: e });
  }
  if (e instanceof client.ClientError) {
    if (e.code === "OAUTH_RESPONSE_IS_NOT_CONFORM" || e.code === "OAUTH_RESPONSE_IS_NOT_JSON") {
      return new AppError(
        "Unavailable",
        `OpenID provider ${issuer} gave an unusable answer ${doing}: ${e.message}`,
      );
    }
    return new AppError("Unauthorized", `OpenID login refused: ${e.message}`, { cause: e });
  }
  if (isNetworkError(e)) {
    return new AppError("Unavailable", `OpenID provider ${issuer} ${networkFailure(e)} (${doing})`);
  }
  return new AppError("Unavailable", `OpenID provider ${issuer} failed ${doing}: ${networkReason(e)}`);
}

function checkRedirectUri(redirectUri: string): void {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    throw new AppError("InvalidOption", "the redirect URI is not a URL");
  }
  // openid-client derives the token request's redirect_uri by stripping the callback's query.
  if (!/^https?:$/.test(url.protocol) || url.search || url.hash) {
    throw new AppError("InvalidOption", "the redirect URI must be an http(s) URL without query or fragment");
  }
}

/**
 * An OpenID Connect provider: discovery on first use (retried after a failure), the authorization
 * code flow with PKCE (S256) and a nonce, client authentication `client_secret_basic` (the
 * default of OpenID client registration) or none for a public client. Since the authorize URL
 * and the exchange are separate calls, the PKCE verifier and nonce wait server-side under the
 * caller's `state`, once-only and expiring. Claims come from the ID token, merged with the
 * userinfo endpoint's answer (many providers put profile and group claims only there).
 */
export function createOidcProvider(config: OidcConfig, options: OidcProviderOptions = {}): RedirectProvider {
  const issuer = new URL(config.issuer);
  const states = options.states ?? new LoginStates();
  const fetcher = timedFetch({
    timeoutMs: options.timeoutMs ?? defaultProviderTimeoutMs,
    ca: config.certificate || undefined,
  });
  const customFetch: client.CustomFetch = (url, init) => fetcher(url, init as RequestInit);
  let discovered: Promise<client.Configuration> | undefined;

  function discover(): Promise<client.Configuration> {
    discovered ??= client
      .discovery(
        issuer,
        config.clientId,
        config.clientSecret ? { client_secret: config.clientSecret } : undefined,
        config.clientSecret ? client.ClientSecretBasic(config.clientSecret) : client.None(),
        {
          [client.customFetch]: customFetch,
          execute: issuer.protocol === "http:" ? [client.allowInsecureRequests] : [],
        },
      )
      .catch((e: unknown) => {
        discovered = undefined; // the next login tries again
        const err = issuerError(e, config.issuer, "at discovery");
        throw err.code === "Unavailable"
          ? err
          : new AppError("Unavailable", `OpenID discovery at ${config.issuer} failed: ${err.message}`);
      });
    return discovered;
  }

  return {
    kind: "redirect",

    async authorizeUrl(state, redirectUri) {
      if (!state || state.length > maxStateLength)
        throw new AppError("InvalidOption", "the login state must be 1 to 512 characters");
      checkRedirectUri(redirectUri);
      const cfg = await discover();
      const codeVerifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const supported = cfg.serverMetadata().scopes_supported ?? [];
      const url = client.buildAuthorizationUrl(cfg, {
        redirect_uri: redirectUri,
        scope: oidcScopes(config, supported),
        state,
        nonce,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: "S256",
      });
      states.put(state, { codeVerifier, nonce, redirectUri });
      return url.href;
    },

    async exchange(code, redirectUri, state): Promise<LoginResult> {
      const pending = state ? states.take(state) : undefined;
      if (!pending)
        throw new AppError(
          "Unauthorized",
          "the login state is unknown, expired or already used; start the login again",
        );
      if (pending.redirectUri !== redirectUri)
        throw new AppError("Unauthorized", "the callback URL is not the one this login started with");
      if (!code || code.length > maxCodeLength)
        throw new AppError("Unauthorized", "the login code is missing or too long");
      try {
        const cfg = await discover();
        const meta = cfg.serverMetadata();
        const current = new URL(redirectUri);
        current.searchParams.set("code", code);
        current.searchParams.set("state", state);
        // The callback route gets code and state only; this provider has its own callback URL, so
        // the issuer answering it is known (RFC 9207's mix-up defence holds by construction).
        if (meta.authorization_response_iss_parameter_supported) current.searchParams.set("iss", meta.issuer);
        const tokens = await client.authorizationCodeGrant(cfg, current, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedNonce: pending.nonce,
          expectedState: state,
          idTokenExpected: true,
        });
        const idClaims = tokens.claims();
        if (!idClaims) throw new AppError("Unauthorized", "the OpenID provider issued no ID token");
        let claims: Record<string, unknown> = { ...idClaims };
        if (meta.userinfo_endpoint) {
          const info = await client.fetchUserInfo(cfg, tokens.access_token, idClaims.sub);
          claims = { ...claims, ...info };
        }
        return identitiesFromClaims(claims, config.groupsClaim);
      } catch (e) {
        throw issuerError(e, config.issuer, "at the code exchange");
      }
    },

    async search() {
      // OpenID Connect has no standard user or group search; members are added by id.
      return [];
    },

    async close() {},
  };
}
