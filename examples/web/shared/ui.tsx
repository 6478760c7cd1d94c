/**
 * The pieces every page of both apps uses: loading, empty and error states, a confirmation dialog, and a hook that
 * loads data and reloads it. Styled by Pico CSS through semantic elements (docs/web-apps.md).
 */
import { ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
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

/**
 * Loads with `load` whenever `deps` change (showing the loading state), and again on `reload` (keeping what is shown
 * until the new answer arrives, so that polling does not flicker). Only the latest load's answer is kept.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Loaded<T>, () => void] {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  const [round, setRound] = useState(0);
  const key = JSON.stringify(deps.map((d) => (typeof d === 'object' ? null : d)));
  const lastKey = useRef<string | undefined>(undefined);
  useEffect(() => {
    let current = true;
    const sameDeps = lastKey.current === key;
    lastKey.current = key;
    setResult((r) => (sameDeps && r.state === 'ready' ? r : { state: 'loading' }));
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

/** A page of a list, as the example services answer it. */
export interface ListPage<T> {
  readonly items: T[];
  readonly nextToken?: string;
}

/** A list loaded a page at a time: the first page on `deps`, the next ones on `more` (one at a time). */
export interface PagedList<T> {
  readonly first: Loaded<unknown>;
  readonly items: T[];
  readonly hasMore: boolean;
  readonly loadingMore: boolean;
  readonly moreError: unknown;
  readonly more: () => void;
  readonly reload: () => void;
}

export function usePagedList<T>(fetchPage: (nextToken?: string) => Promise<ListPage<T>>, deps: unknown[]): PagedList<T> {
  const [extra, setExtra] = useState<{ items: T[]; nextToken?: string; loading: boolean; error?: unknown }>({ items: [], loading: false });
  const [first, reload] = useLoad(async () => {
    const page = await fetchPage();
    setExtra({ items: [], nextToken: page.nextToken, loading: false });
    return page;
  }, deps);
  const busy = useRef(false);
  const more = useCallback(() => {
    if (busy.current || !extra.nextToken) {
      return;
    }
    busy.current = true;
    setExtra((e) => ({ ...e, loading: true, error: undefined }));
    fetchPage(extra.nextToken).then(
      (page) => setExtra((e) => ({ items: [...e.items, ...page.items], nextToken: page.nextToken, loading: false })),
      (error: unknown) => setExtra((e) => ({ ...e, loading: false, error })),
    ).finally(() => {
      busy.current = false;
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [extra.nextToken, ...deps]);
  const items = first.state === 'ready' ? [...(first.data as ListPage<T>).items, ...extra.items] : [];
  return { first, items, hasMore: first.state === 'ready' && !!extra.nextToken, loadingMore: extra.loading, moreError: extra.error, more, reload };
}

/** The first page's states of a paged list: loading, its error with a retry, or empty. */
export function ListStates({ list, loading, empty }: { readonly list: PagedList<unknown>; readonly loading: string; readonly empty: ReactNode }) {
  return (
    <>
      {list.first.state === 'loading' ? <Loading label={loading} /> : null}
      {list.first.state === 'error' ? <ErrorNotice error={list.first.error} onRetry={list.reload} /> : null}
      {list.first.state === 'ready' && list.items.length === 0 ? <Empty>{empty}</Empty> : null}
    </>
  );
}

/** "Load more" under a paged list, with its own loading and error states. */
export function LoadMore({ list, label }: { readonly list: PagedList<unknown>; readonly label: string }) {
  return (
    <>
      {list.moreError ? <ErrorNotice error={list.moreError} onRetry={list.more} /> : null}
      {list.hasMore ? (
        <button type="button" className="secondary" disabled={list.loadingMore} aria-busy={list.loadingMore ? 'true' : undefined} onClick={list.more}>
          {label}
        </button>
      ) : null}
    </>
  );
}

/**
 * On every route change: the document's title from the page's heading, and focus on that heading, so that a screen
 * reader announces the new page as it would after a full page load.
 */
export function usePageAnnouncement(appName: string, path: string): void {
  useEffect(() => {
    const timer = setTimeout(() => {
      const heading = document.querySelector<HTMLElement>('main h1');
      document.title = heading?.textContent ? `${heading.textContent} - ${appName}` : appName;
      if (heading) {
        heading.tabIndex = -1;
        heading.focus({ preventScroll: true });
      }
    }, 0);
    return () => clearTimeout(timer);
  }, [appName, path]);
}

/**
 * A link that looks like a button (Pico styles `role="button"`): Space activates it too, as it does a button.
 */
export function ButtonLink(props: { readonly to: string; readonly children: ReactNode; readonly className?: string }) {
  const navigate = useNavigate();
  return (
    <Link
      to={props.to}
      role="button"
      className={props.className}
      onKeyDown={(e) => {
        if (e.key === ' ') {
          e.preventDefault();
          navigate(props.to);
        }
      }}
    >
      {props.children}
    </Link>
  );
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
    <dialog
      ref={ref}
      aria-labelledby="confirm-title"
      onCancel={(e) => { e.preventDefault(); props.onCancel(); }}
      // However it closed (Escape, a form, the browser), the caller learns of it, so it can open it again.
      onClose={() => { if (props.open) { props.onCancel(); } }}
    >
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
