/**
 * A tiny DOM builder instead of a view library: the pages are small, re-rendered whole from
 * fresh REST data, and this keeps the bundle free of another dependency to keep up to date. It
 * never writes HTML strings, so nothing the coordinator sends can become markup (and the CSP
 * forbids inline script anyway).
 */
export type Child = Node | string | number | bigint | null | undefined | false | Child[];
type Handler = (event: Event) => void;
export type Props = Record<string, string | number | boolean | null | undefined | Record<string, Handler>>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'on') {
      for (const [event, handler] of Object.entries(value as Record<string, Handler>)) element.addEventListener(event, handler);
    } else {
      element.setAttribute(name === 'className' ? 'class' : name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the content of `parent`, keeping focus on the element with the same id if it had it. */
export function replace(parent: HTMLElement, ...children: Child[]): void {
  const focused = document.activeElement instanceof HTMLElement && parent.contains(document.activeElement) ? document.activeElement.id : '';
  parent.replaceChildren();
  append(parent, children);
  if (focused !== '') document.getElementById(focused)?.focus();
}

/** A message people can read: what went wrong, and the stable code for support. */
export function errorBox(error: unknown): HTMLElement {
  const { code, message } = describeError(error);
  return h('div', { class: 'error', role: 'alert' }, h('strong', null, 'Refused: '), message, ' ', h('code', null, code));
}

export function describeError(error: unknown): { code: string; message: string } {
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
    return { code: String((error as { code: unknown }).code), message: String((error as { message: unknown }).message) };
  }
  return { code: 'CLIENT_ERROR', message: error instanceof Error ? error.message : String(error) };
}

export function empty(text: string): HTMLElement {
  return h('p', { class: 'empty' }, text);
}

/** A definition list from label/value pairs. */
export function facts(rows: Array<[string, Child]>): HTMLElement {
  return h('dl', { class: 'facts' }, rows.map(([label, value]) => [h('dt', null, label), h('dd', null, value)]));
}
