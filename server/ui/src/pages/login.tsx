import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { ApiError, request } from "../api/client.ts";
import type { Collection, Resource } from "../api/types.ts";
import { login } from "../session.ts";

/** What `GET /v2-beta/token` tells an anonymous visitor: the provider and, for redirects, where to go. */
interface AuthState extends Resource {
  authProvider: string;
  redirectUrl: string | null;
}

/** The names people know the providers by, per config name. */
const providerNames: Record<string, string> = {
  openldapconfig: "OpenLDAP",
  ldapconfig: "Active Directory",
  githubconfig: "GitHub",
  oidcconfig: "OpenID Connect",
};

/** A provider's name on screen (an unknown config shows without its `config` suffix). */
function providerName(config: string): string {
  return providerNames[config] ?? config.replace(/config$/, "");
}

/** The username and password form; `directory` names an LDAP directory the names belong to. */
function PasswordForm(props: { directory: string | null }) {
  const error = useSignal<string | null>(null);
  const busy = useSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    busy.value = true;
    error.value = null;
    try {
      await login(String(form.get("username") ?? ""), String(form.get("password") ?? ""));
    } catch (err) {
      error.value =
        err instanceof ApiError && err.status === 401
          ? "Wrong username or password."
          : err instanceof Error
            ? err.message
            : String(err);
    } finally {
      busy.value = false;
    }
  };
  const dir = props.directory;
  return (
    <form onSubmit={submit} aria-describedby={error.value ? "login-error" : undefined}>
      {dir ? <p>Log in with your {dir} account.</p> : null}
      <label>
        {dir ? `${dir} username` : "Username"}
        <input name="username" autoComplete="username" required />
      </label>
      <label>
        {dir ? `${dir} password` : "Password"}
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {error.value ? (
        <p id="login-error" class="error" role="alert">
          {error.value}
        </p>
      ) : null}
      <button type="submit" disabled={busy.value}>
        Log in
      </button>
    </form>
  );
}

/**
 * The login page, per the configured provider: a username and password form (local accounts, or
 * an LDAP directory's, labelled with it), or a "Log in with ..." button to a redirect provider
 * (GitHub, OpenID Connect) with the local form folded below it (local admins are never locked out).
 */
export function LoginPage() {
  const state = useSignal<AuthState | null>(null);
  useEffect(() => {
    request<Collection<AuthState>>("GET", "/v2-beta/token")
      .then((c) => {
        state.value = c.data[0] ?? null;
      })
      // Without the answer the local form still works.
      .catch(() => undefined);
  }, []);
  const provider = state.value?.authProvider ?? "localauthconfig";
  const redirect = state.value?.redirectUrl ?? null;
  const external = provider !== "localauthconfig";
  return (
    <main id="main" class="login" tabIndex={-1}>
      <h1>Corral</h1>
      {redirect ? (
        <>
          <a class="button" href={redirect}>
            Log in with {providerName(provider)}
          </a>
          <details>
            <summary>Log in with a local account</summary>
            <PasswordForm directory={null} />
          </details>
        </>
      ) : (
        <PasswordForm directory={external ? providerName(provider) : null} />
      )}
    </main>
  );
}
