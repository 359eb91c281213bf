/**
 * Live updates for the web app (issue 6): a browser signed in with a passkey opens
 * `/ws/web`, sends its session token in the first frame, and is then told of every change to
 * the vaults its member belongs to (the same events signers hear) and of every new audit head.
 * Pushes are hints: the page re-reads what it shows over REST.
 */
import type { CoordinatorEvent } from './api';

export const WEB_LIVE_PATH = '/ws/web';

export type BrowserClientFrame = { type: 'auth'; session: string };

export type BrowserServerFrame =
  | { type: 'ready'; identityKey: string }
  | { type: 'event'; event: CoordinatorEvent }
  | { type: 'error'; error: { code: string; message: string } };
