// The night shift in the browser: the operator's availability, the warning before an idle logout (the reply draft is
// kept in this tab's sessionStorage — never on the server — and comes back after logging in again), new messages in
// held conversations (title, optional sound, browser notification), and the operator's preferences.

import { api } from './api.js';
import * as alerts from './alerts.js';
import { $ } from './dom.js';
import { duration } from './format.js';

// -- preferences (this browser only) --------------------------------------------------------------------------------

const PREFS = 'caunoi-prefs';
const DEFAULTS = { shortcuts: true, sound: true };

export function prefs() {
  try {
    return { ...DEFAULTS, ...JSON.parse(localStorage.getItem(PREFS) || '{}') };
  } catch {
    return { ...DEFAULTS };
  }
}

function savePrefs(changes) {
  localStorage.setItem(PREFS, JSON.stringify({ ...prefs(), ...changes }));
  showPrefs();
}

function showPrefs() {
  const current = prefs();
  $('pref-shortcuts').checked = current.shortcuts;
  $('pref-sound').checked = current.sound;
  $('shortcut-hint').textContent = current.shortcuts ? 'j/k chọn · Enter mở · c nhận · ? phím tắt' : 'Phím tắt một phím đang tắt · ? để bật lại';
}

export function wirePrefs() {
  $('pref-shortcuts').addEventListener('change', (event) => savePrefs({ shortcuts: event.target.checked }));
  $('pref-sound').addEventListener('change', (event) => savePrefs({ sound: event.target.checked }));
  showPrefs();
}

// -- availability ---------------------------------------------------------------------------------------------------

export function showStatus(me) {
  $('my-status').value = (me.status && me.status.status) || 'on_duty';
  $('break-offer').hidden = true;
}

export function wireStatus(onError) {
  const set = async (status) => {
    try {
      const changed = await api('POST', '/api/me/status', { status });
      $('my-status').value = changed.status;
      $('break-offer').hidden = true;
    } catch (error) {
      onError(error);
    }
  };
  $('my-status').addEventListener('change', () => set($('my-status').value));
  $('take-break').addEventListener('click', () => set('break'));
  $('skip-break').addEventListener('click', () => { $('break-offer').hidden = true; });
}

const LONG_CONVERSATION_SECONDS = 30 * 60;

// After closing a high-risk or a long conversation, the queue offers a break.
export function offerBreak(conversation) {
  const item = conversation && conversation.case;
  if (!item) return;
  const held = item.claimed_at ? (Date.now() - new Date(item.claimed_at).getTime()) / 1000 : 0;
  $('break-offer').hidden = !(item.risk === 'high' || held >= LONG_CONVERSATION_SECONDS);
}

// -- drafts (this tab only: sessionStorage, gone when the tab closes) -----------------------------------------------

const draftKey = (me, id) => `caunoi-draft:${me.username}:${id}`;

export function saveDraft(me, id, text) {
  if (!me || !id) return;
  if (text) sessionStorage.setItem(draftKey(me, id), text);
  else sessionStorage.removeItem(draftKey(me, id));
}

export function draft(me, id) {
  return (me && id && sessionStorage.getItem(draftKey(me, id))) || '';
}

export function forgetDrafts() {
  for (const key of Object.keys(sessionStorage)) if (key.startsWith('caunoi-draft:')) sessionStorage.removeItem(key);
}

// -- idle -----------------------------------------------------------------------------------------------------------

let lastActivity = Date.now();
let idleTimer = null;

export function active() {
  lastActivity = Date.now();
  if ($('idle-dialog').open) $('idle-dialog').close();
}

// Warns `warnSeconds` before the session's idle limit (a quarter of it, at most two minutes); at the limit logs out
// by itself (`expire`), the draft staying in the tab.
export function watchIdle(idleSeconds, expire) {
  stopIdle();
  lastActivity = Date.now();
  const warnSeconds = Math.min(120, idleSeconds / 4);
  idleTimer = setInterval(() => {
    const left = idleSeconds - (Date.now() - lastActivity) / 1000;
    if (left <= 0) {
      stopIdle();
      if ($('idle-dialog').open) $('idle-dialog').close();
      expire();
      return;
    }
    if (left <= warnSeconds) {
      $('idle-left').textContent = duration(left);
      if (!$('idle-dialog').open) $('idle-dialog').showModal();
    }
  }, 1000);
}

export function stopIdle() {
  clearInterval(idleTimer);
  idleTimer = null;
}

// -- new messages in held conversations -----------------------------------------------------------------------------

let lastUnread = null;  // null until the first queue of the session: what was unread before is not news

// Compares the held conversations' unread counts with the last ones: any that grew rings (if wanted) and notifies.
export function noticeUnread(queue, me, current) {
  const now = new Map(queue.held.filter((item) => item.operator === me).map((item) => [item.id, item.unread || 0]));
  const before = lastUnread;
  lastUnread = now;
  if (!before) return;
  const grew = [...now].some(([id, count]) => count > (before.get(id) || 0)
    && !(id === current && document.visibilityState === 'visible'));
  if (grew) {
    alerts.alert('Cầu Nối: tin nhắn mới', 'Người nhắn vừa viết thêm trong một cuộc trò chuyện bạn đang giữ.',
      { sound: prefs().sound, tag: 'caunoi-unread' });
  }
}

export function resetUnread() {
  lastUnread = null;
}
