// The dashboard's progressive enhancement: every page works without it. It keeps the Now
// page live over the daemon's event stream, asks before a destructive button, and adds
// page shortcuts (g then n, h, a, r, s). No inline code: the CSP allows only this file.

const REFRESH_DELAY_MS = 300;
const STATUS_POLL_MS = 5000;

/** Replaces each `[data-fragment]` section with a fresh copy rendered by the server. */
async function refreshFragments() {
  for (const section of document.querySelectorAll('[data-fragment]')) {
    const url = section.getAttribute('data-fragment');
    if (!url) continue;
    const response = await fetch(url, { credentials: 'same-origin' });
    if (!response.ok) continue;
    const holder = document.createElement('template');
    holder.innerHTML = (await response.text()).trim();
    const fresh = holder.content.firstElementChild;
    if (fresh) section.replaceWith(fresh);
  }
}

function liveUpdates() {
  if (document.querySelectorAll('[data-fragment]').length === 0) return;
  let timer;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void refreshFragments(), REFRESH_DELAY_MS);
  };
  const events = new EventSource('/ui/events');
  for (const type of ['file', 'paused', 'resumed', 'undo']) events.addEventListener(type, soon);
  events.addEventListener('open', () => document.body.setAttribute('data-live', 'on'));
  events.addEventListener('error', () => document.body.setAttribute('data-live', 'off'));
  setInterval(soon, STATUS_POLL_MS);
}

function confirmations() {
  document.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button.danger') : null;
    if (!button) return;
    const label = button.textContent ? button.textContent.trim() : 'this';
    if (!window.confirm(`${label}?`)) event.preventDefault();
  });
}

function shortcuts() {
  const pages = { n: '/', h: '/ui/history', a: '/ui/attention', r: '/ui/rules', s: '/ui/search' };
  let leader = false;
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    if (target instanceof HTMLElement && target.closest('input, textarea, select')) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (leader && event.key in pages) {
      window.location.assign(pages[event.key]);
      return;
    }
    leader = event.key === 'g';
  });
}

liveUpdates();
confirmations();
shortcuts();
