import { Notice } from '../layout.js';

/** The login form: one field for an API key or a JWT. */
export function LoginPage(props: { nonce: string; error?: string }) {
  return (
    <>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      <form method="post" action="/login" class="login">
        <input type="hidden" name="nonce" value={props.nonce} />
        <label for="token">API key or token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="current-password"
          required
          autofocus
        />
        <p class="hint">
          The key in <code>&lt;state&gt;/api-key</code>, a key listed in <code>api.keys</code>, or a
          JWT from <code>photosortd token create</code>. A read-scope token sees everything and
          changes nothing.
        </p>
        <button type="submit" class="primary">
          Log in
        </button>
      </form>
    </>
  );
}
