import { useSignal } from "@preact/signals";
import { ApiError } from "../api/client.ts";
import { login } from "../session.ts";

/** The login page: username and password, posted to `/v2-beta/token`. */
export function LoginPage() {
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
  return (
    <main id="main" class="login" tabIndex={-1}>
      <h1>Corral</h1>
      <form onSubmit={submit} aria-describedby={error.value ? "login-error" : undefined}>
        <label>
          Username
          <input name="username" autoComplete="username" required />
        </label>
        <label>
          Password
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
    </main>
  );
}
