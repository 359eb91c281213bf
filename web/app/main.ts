/**
 * The Conclave treasury and auditor web app: a hash router over small pages, the signed-in
 * member's session, and live updates that re-render the page on every event of the member's
 * vaults. Every page works with the keyboard (real links and buttons, focus moved to the
 * heading on navigation) and states what is empty or refused.
 */
import type { CoordinatorEvent } from '../../protocol/api';
import { api, whenSignedOut } from './api';
import { errorBox, h, replace } from './dom';
import { ZONE } from './format';
import { LiveUpdates } from './live';
import type { Page, PageContext } from './page';
import { addressBookPage } from './pages/address-book';
import { auditPage } from './pages/audit';
import { dashboardPage } from './pages/dashboard';
import { enrolPage } from './pages/enrol';
import { membersPage } from './pages/members';
import { policyPage } from './pages/policy';
import { proposePage } from './pages/propose';
import { queuePage } from './pages/queue';
import { signInPage } from './pages/signin';
import { vaultPage } from './pages/vault';
import { withdrawalPage } from './pages/withdrawal';
import { clearSession, currentSession } from './session';

const ROUTES: Array<[RegExp, Page]> = [
  [/^#\/$/, dashboardPage],
  [/^#\/queue$/, queuePage],
  [/^#\/audit$/, auditPage],
  [/^#\/vaults\/([0-9a-f-]{36})$/, vaultPage],
  [/^#\/vaults\/([0-9a-f-]{36})\/propose$/, proposePage],
  [/^#\/vaults\/([0-9a-f-]{36})\/address-book$/, addressBookPage],
  [/^#\/vaults\/([0-9a-f-]{36})\/policy$/, policyPage],
  [/^#\/vaults\/([0-9a-f-]{36})\/members$/, membersPage],
  [/^#\/withdrawals\/([0-9a-f-]{36})$/, withdrawalPage],
];

const main = document.getElementById('main')!;
const top = document.getElementById('top')!;
const status = document.getElementById('live-status')!;
let rendering = 0;
let again = false;

const live = new LiveUpdates(onEvent, (state, why) => {
  status.dataset.state = state;
  status.textContent = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : why ?? 'Offline: reconnecting…';
});

/**
 * An enrolment link's secret, taken out of the address bar at once (so it stays out of the
 * history and of anything copied from it) and kept in this page's memory only.
 */
let enrolmentSecret: string | null = null;
function takeEnrolmentLink(): boolean {
  const link = /^#\/enrol(?:\/([\x21-\x7e]{16,200}))?$/.exec(location.hash);
  if (link === null) return false;
  if (link[1] !== undefined) {
    enrolmentSecret = link[1];
    history.replaceState(null, '', '#/enrol');
  }
  return true;
}

function navigate(hash: string): void {
  if (location.hash === hash) void show(true);
  else location.hash = hash;
}

function current(): { page: Page; params: string[] } | null {
  const hash = location.hash === '' ? '#/' : location.hash;
  for (const [pattern, page] of ROUTES) {
    const match = pattern.exec(hash);
    if (match) return { page, params: match.slice(1) };
  }
  return null;
}

function header(ctx: PageContext | null): void {
  if (ctx === null) return replace(top, h('div', { class: 'brand' }, 'Conclave'));
  const { member } = ctx.session;
  const link = (href: string, text: string) => h('a', { href, ...(location.hash === href ? { 'aria-current': 'page' } : {}) }, text);
  replace(top,
    h('div', { class: 'brand' }, h('a', { href: '#/' }, 'Conclave')),
    h('nav', { 'aria-label': 'Main' }, link('#/', 'Dashboard'), link('#/queue', 'Approval queue'), link('#/audit', 'Audit log & exports')),
    h('div', { class: 'who' },
      h('span', null, member.name ?? member.identityKey.slice(0, 8)), ' ', h('span', { class: 'roles' }, member.roles.join(', ') || 'no role'),
      ' ', h('span', { class: 'zone', title: 'Times are shown in this time zone' }, ZONE), ' ',
      h('button', { type: 'button', id: 'sign-out', on: { click: () => void signOut() } }, 'Sign out')));
}

async function signOut(): Promise<void> {
  try {
    await api('DELETE', '/api/v1/auth/session');
  } catch {
    // Signed out here in any case; an expired session has nothing left to end.
  }
  clearSession();
  live.stop();
  navigate('#/signin');
}

async function show(focus: boolean): Promise<void> {
  if (takeEnrolmentLink()) {
    header(null);
    document.title = 'Register a passkey · Conclave';
    replace(main, enrolPage(enrolmentSecret));
    if (focus) main.querySelector('h1')?.focus();
    return;
  }
  const session = currentSession();
  if (session === null || location.hash === '#/signin') {
    live.stop();
    header(null);
    document.title = 'Sign in · Conclave';
    replace(main, await signInPage(() => {
      const signedIn = currentSession();
      if (signedIn !== null) live.start(signedIn);
      navigate('#/');
    }));
    if (focus) main.querySelector('h1')?.focus();
    return;
  }
  const route = current();
  const ctx: PageContext = { session, params: route?.params ?? [], navigate, refresh: () => void show(false) };
  header(ctx);
  if (route === null) {
    document.title = 'Not found · Conclave';
    replace(main, h('h1', { tabindex: '-1' }, 'Not found'), h('p', null, 'This page does not exist. ', h('a', { href: '#/' }, 'Back to the dashboard')));
    return;
  }
  document.title = `${route.page.title} · Conclave`;
  const run = ++rendering;
  let content;
  try {
    content = await route.page.render(ctx);
  } catch (error) {
    content = [h('h1', { tabindex: '-1' }, route.page.title), errorBox(error)];
  }
  if (run !== rendering) return;
  replace(main, content);
  if (focus) (main.querySelector('h1') as HTMLElement | null)?.focus();
}

/** Re-render on a change; events arriving during a render are folded into one more render. */
let busy = false;
function onEvent(_event: CoordinatorEvent): void {
  if (!current()?.page.live) return;
  if (busy) {
    again = true;
    return;
  }
  busy = true;
  void show(false).finally(() => {
    busy = false;
    if (again) {
      again = false;
      onEvent(_event);
    }
  });
}

whenSignedOut(() => {
  live.stop();
  navigate('#/signin');
});
window.addEventListener('hashchange', () => void show(true));
const session = currentSession();
if (session !== null) live.start(session);
void show(false);
