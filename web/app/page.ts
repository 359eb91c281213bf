/** What every page gets, and what it is. */
import type { Child } from './dom';
import type { Session } from './session';

export interface PageContext {
  session: Session;
  /** Route parameters, in order. */
  params: string[];
  navigate(hash: string): void;
  /** Re-renders the current page from fresh data. */
  refresh(): void;
}

export interface Page {
  title: string;
  /** Re-rendered on every live event (false for forms, which would lose what is being typed). */
  live: boolean;
  render(ctx: PageContext): Promise<Child>;
}
