/**
 * The pieces every page of both apps uses: loading, empty and error states, a confirmation dialog, and a hook that
 * loads data and reloads it. Styled by Pico CSS through semantic elements (docs/web-apps.md).
 */
import { ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, explainError } from './api';

/** Trying again can help: a throttled, busy or unreachable service, or an unexpected failure. */
function retryable(error: unknown): boolean {
  return !(error instanceof ApiError) || ['throttled', 'unavailable', 'network', 'server'].includes(error.kind);
}

export function Loading({ label }: { label: string }) {
  return <p aria-busy="true" role="status">{label}</p>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <p role="status" className="empty">{children}</p>;
}

/** An error explained (401, 403, 429 with its wait, 503, network), with a retry button when trying again can help. */
export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { title, detail } = explainError(error);
  return (
    <section role="alert" className="notice error">
      <p><strong>{title}</strong></p>
      <p>{detail}</p>
      {onRetry && retryable(error) ? <button type="button" className="secondary" onClick={onRetry}>Try again</button> : null}
    </section>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return <section role="status" className="notice">{children}</section>;
}

export type Loaded<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'ready'; readonly data: T }
  | { readonly state: 'error'; readonly error: unknown };

/** Loads with `load` whenever `deps` change; `reload` loads again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Loaded<T>, () => void] {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setResult((r) => (r.state === 'ready' ? r : { state: 'loading' }));
    load().then(
      (data) => current && setResult({ state: 'ready', data }),
      (error: unknown) => current && setResult({ state: 'error', error }),
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return [result, reload];
}

/**
 * A modal dialog asking to confirm something that cannot be undone. When `typeToConfirm` is given, the confirm button
 * is enabled only once the user has typed it.
 */
export function ConfirmDialog(props: {
  readonly open: boolean;
  readonly title: string;
  readonly children: ReactNode;
  readonly confirmLabel: string;
  readonly typeToConfirm?: string;
  readonly busy?: boolean;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) {
      return;
    }
    if (props.open && !dialog.open) {
      setTyped('');
      // jsdom has no showModal; browsers do.
      if (typeof dialog.showModal === 'function') {
        dialog.showModal();
      } else {
        dialog.setAttribute('open', '');
      }
    } else if (!props.open && dialog.open) {
      if (typeof dialog.close === 'function') {
        dialog.close();
      } else {
        dialog.removeAttribute('open');
      }
    }
  }, [props.open]);
  const ready = props.typeToConfirm === undefined || typed === props.typeToConfirm;
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onCancel={(e) => { e.preventDefault(); props.onCancel(); }}>
      <article>
        <h2 id="confirm-title">{props.title}</h2>
        {props.children}
        {props.typeToConfirm !== undefined ? (
          <label>
            Type <strong>{props.typeToConfirm}</strong> to confirm
            <input value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
          </label>
        ) : null}
        <footer>
          <button type="button" className="secondary" onClick={props.onCancel}>Cancel</button>
          <button type="button" className="danger" disabled={!ready || props.busy} aria-busy={props.busy ? 'true' : undefined} onClick={props.onConfirm}>
            {props.confirmLabel}
          </button>
        </footer>
      </article>
    </dialog>
  );
}

/** The header of both apps: the app's name, its links, who is signed in, and sign-out. */
export function AppHeader(props: { readonly appName: string; readonly links: ReactNode; readonly user?: string; readonly onSignOut?: () => void }) {
  return (
    <header className="container">
      <nav aria-label="Main">
        <ul><li><strong>{props.appName}</strong></li></ul>
        <ul>
          {props.links}
          {props.user ? <li><small>{props.user}</small></li> : null}
          {props.onSignOut ? <li><button type="button" className="secondary outline" onClick={props.onSignOut}>Sign out</button></li> : null}
        </ul>
      </nav>
    </header>
  );
}
