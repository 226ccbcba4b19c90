// The console: log-in, routing (#/queue, #/c/<id>, #/stats), live updates over server-sent events, shortcuts.

import { renderAccount, wireAccount } from './account.js';
import { ApiError, api, conversationPath, renewed, setCsrf } from './api.js';
import * as alerts from './alerts.js';
import { renderBoard, wireBoard } from './board.js';
import { actions, closeBody, openClose, openTransfer, renderCanned, renderConversation } from './conversation.js';
import { wireDirectorySearch } from './directory-search.js';
import { $, maskAll, typing, wireReveal } from './dom.js';
import { RISK, tick } from './format.js';
import { renderQueue } from './queue.js';
import { renderReferrals, wireReferrals } from './referrals.js';
import { showSearch, wireSearch } from './search.js';
import * as shift from './shift.js';
import { wireCannedSearch } from './slash.js';
import { renderStats } from './stats.js';

const state = { me: null, queue: { waiting: [], held: [] }, selected: 0, current: null, conversation: null, directory: null, tags: null, events: null, canned: [] };
const VIEWS = ['login-view', 'queue-view', 'conversation-view', 'stats-view', 'account-view', 'board-view', 'search-view'];

function show(view) {
  for (const name of VIEWS) $(name).hidden = name !== view;
  $('top').hidden = view === 'login-view';
  $('nav-queue').classList.toggle('active', view === 'queue-view');
  $('nav-stats').classList.toggle('active', view === 'stats-view');
  $('nav-board').classList.toggle('active', view === 'board-view');
  $('nav-search').classList.toggle('active', view === 'search-view');
  $('nav-account').classList.toggle('active', view === 'account-view');
}

function say(node, error) {
  const messages = {
    401: 'Phiên làm việc đã hết. Vui lòng đăng nhập lại.',
    403: 'Bạn không có quyền làm việc này.',
    429: 'Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau.',
  };
  if (error instanceof ApiError && /waits for the team/.test(error.message)) {
    $(node).textContent = teamRefusal(error.message);
    return;
  }
  $(node).textContent = error instanceof ApiError ? (messages[error.status] || translate(error.message)) : 'Không kết nối được máy chủ.';
}

// Claiming a conversation that waits for another team first (bot/console/queue_view.py).
function teamRefusal(reason) {
  const team = (reason.match(/team ['"](.+)['"] first/) || [])[1] || 'khác';
  const minutes = (reason.match(/after (\d+) minutes/) || [])[1];
  return `Cuộc trò chuyện này đang chờ nhóm ${team} trước. Nó sẽ mở cho mọi nhóm khi nhóm đó không còn ai trực`
    + (minutes ? `, hoặc sau ${minutes} phút nếu nguy cơ cao mà chưa ai nhận` : '') + '. Giám sát viên có thể nhận ngay.';
}

function translate(reason) {
  if (/reply window closed/.test(reason)) return 'Không gửi được: đã quá 48 giờ kể từ tin nhắn cuối của người nhắn, Zalo không cho gửi nữa. Hãy chờ người nhắn viết lại.';
  if (/already hold/.test(reason)) return 'Bạn đang giữ cuộc trò chuyện này.';
  if (/holds this conversation/.test(reason)) return `Cuộc trò chuyện đã có người nhận (${reason.split(' ')[0]}).`;
  if (/do not hold/.test(reason)) return 'Bạn không giữ cuộc trò chuyện này.';
  if (/with the bot/.test(reason)) return 'Cuộc trò chuyện đã trở về bot.';
  if (/waiting in the queue/.test(reason)) return 'Cuộc trò chuyện đang chờ: hãy nhận trước.';
  if (/referral/.test(reason)) return 'Hãy chọn nơi chuyển tới (danh bạ hoặc tên cơ quan).';
  if (/wrong username or password/.test(reason)) return 'Sai tên đăng nhập hoặc mật khẩu.';
  if (/wrong second factor code/.test(reason)) return 'Mã xác thực không đúng (hoặc đã dùng rồi).';
  if (/enrol a second factor/.test(reason)) return 'Hãy bật xác thực hai lớp trước (trang Tài khoản).';
  if (/first password has expired/.test(reason)) return 'Mật khẩu đầu tiên này đã hết hạn (chỉ dùng được 72 giờ). Hãy nhờ giám sát viên đặt lại mật khẩu.';
  if (/choose your own password first/.test(reason)) return 'Hãy đặt mật khẩu của riêng bạn trước (trang Tài khoản).';
  if (/not on duty/.test(reason)) return 'Người này hiện không trực (đang nghỉ, hết ca hoặc không mở bảng điều khiển). Hãy chọn người khác.';
  if (/handover note/.test(reason)) return 'Hãy viết ghi chú bàn giao cho người nhận.';
  if (/unknown tags|tags must/.test(reason)) return 'Chủ đề không có trong danh sách. Hãy tải lại trang và chọn lại.';
  if (/outcome must be/.test(reason)) return 'Hãy chọn kết quả.';
  if (/status must be/.test(reason)) return 'Trạng thái không hợp lệ.';
  if (/no such operator/.test(reason)) return 'Không tìm thấy tổng đài viên này (hoặc tài khoản đã bị khoá).';
  if (/no such conversation/.test(reason)) return 'Không tìm thấy cuộc trò chuyện.';
  if (/longer than|at most 100/.test(reason)) return 'Nội dung quá dài.';
  if (/at least one of/.test(reason)) return 'Hãy nhập ít nhất một điều kiện tìm kiếm.';
  if (/unknown tag/.test(reason)) return 'Chủ đề không có trong danh sách.';
  if (/from and to must be/.test(reason)) return 'Ngày không hợp lệ.';
  if (/CSRF/.test(reason)) return 'Phiên làm việc không hợp lệ. Hãy tải lại trang.';
  if (/storage unavailable/.test(reason)) return 'Máy chủ tạm thời không lưu được. Vui lòng thử lại sau ít phút.';
  if (/too many/.test(reason)) return 'Thử quá nhiều lần. Vui lòng chờ một lát rồi thử lại.';
  return 'Không thực hiện được. Vui lòng thử lại; nếu vẫn lỗi, báo giám sát viên.';
}

async function handle(error, node) {
  if (error instanceof ApiError && error.status === 401) return loggedOut();
  say(node, error);
}

// -- session --------------------------------------------------------------------------------------------------------

async function start() {
  try {
    const me = await api('GET', '/api/me');
    await loggedIn(me);
  } catch (error) {
    loggedOut();
  }
}

// An account that is not ready to work yet: it must enrol a second factor (a supervisor requires one) or choose its own
// password (the one it has was set by someone else). Until then only the account page works.
const settingUp = (me) => Boolean(me && (me.must_enrol || me.must_change_password));

async function loggedIn(me) {
  state.me = me;
  setCsrf(me.csrf_token);
  $('login-code-label').hidden = true;
  $('whoami').textContent = `${me.username}${me.alias ? ` (${me.alias})` : ''} · ${me.role === 'supervisor' ? 'giám sát viên' : 'tổng đài viên'}`;
  $('nav-stats').hidden = me.role !== 'supervisor';
  $('nav-board').hidden = me.role !== 'supervisor';
  $('login-note').textContent = '';
  shift.showStatus(me);
  shift.resetUnread();
  shift.watchIdle(me.idle_seconds || 1800, idleLogout);
  if (settingUp(me)) {  // nothing else works until the account is ready
    if (state.events) state.events.close();
    state.events = null;
    $('connection').classList.add('down');  // no live updates until then: say so, never "Đang kết nối…" for ever
    $('connection-text').textContent = 'Chưa nhận cập nhật — hãy hoàn tất tài khoản trước';
    location.hash = '#/account';
    await route();
    return;
  }
  if (me.role === 'directory_editor') {  // an editor's account opens the directory only
    location.href = 'directory.html';
    return;
  }
  if (me.role === 'partner') {  // a partner's account opens its organisation's referrals only
    location.href = 'partner.html';
    return;
  }
  const { replies } = await api('GET', '/api/canned-replies');
  state.canned = replies;
  renderCanned(replies, insertReply);
  wireDirectorySearch({ insert: insertReply, refer: referTo }).catch(() => null);
  connect();
  await route();
}

// What a person wrote, and who they are, must not stay in the page (even hidden) once the session is over.
const PERSONAL_NODES = ['queue-list', 'held-list', 'conv-title', 'conv-state', 'transcript', 'facts', 'notes',
  'history', 'referrals', 'referral-stats', 'stats', 'campaigns', 'search-results', 'board-problems', 'board-operators', 'board-teams'];
const PERSONAL_FIELDS = ['reply-text', 'note-text', 'referral-summary', 'close-agency', 'close-summary', 'transfer-note', 'search-id', 'search-campaign', 'login-password', 'login-code', 'totp-code',
  'password-current', 'password-new', 'password-again'];

function loggedOut() {
  shift.stopIdle();
  state.me = null;
  state.current = null;
  state.conversation = null;
  setCsrf(null);
  if (state.events) state.events.close();
  state.events = null;
  for (const id of PERSONAL_NODES) $(id)?.replaceChildren();
  for (const id of PERSONAL_FIELDS) if ($(id)) $(id).value = '';
  for (const id of ['recovery-codes', 'sessions-list', 'totp-secret']) $(id).replaceChildren();
  $('recovery').hidden = true;
  $('totp-enrol').hidden = true;
  $('totp-qr').removeAttribute('src');
  show('login-view');
  $('login-username').focus();
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  alerts.unlock();
  $('login-error').textContent = '';
  try {
    const body = { username: $('login-username').value, password: $('login-password').value };
    if (!$('login-code-label').hidden) body.code = $('login-code').value;
    const me = await api('POST', '/api/login', body);
    $('login-password').value = '';
    maskAll();
    $('login-code').value = '';
    await loggedIn(me);
  } catch (error) {
    if (error instanceof ApiError && /second factor code required/.test(error.message)) {
      $('login-code-label').hidden = false;  // the password was right: now the code
      $('login-code').focus();
      $('login-error').textContent = 'Nhập mã 6 số trong ứng dụng xác thực (hoặc một mã khôi phục).';
      return;
    }
    if (error instanceof ApiError && error.status === 401) {
      $('login-code').value = '';
      $('login-error').textContent = translate(error.message);
      return;
    }
    say('login-error', error);
  }
});

// No click for the session's idle time: log out here too (the conversations go back to the queue after the grace
// period unless the operator returns), keeping the reply drafts in this tab.
async function idleLogout() {
  try { await api('POST', '/api/logout'); } catch { /* the session is gone either way */ }
  loggedOut();  // the address stays: logging in again reopens the conversation, its draft in the box
  $('login-note').textContent = 'Bạn đã được đăng xuất vì lâu không thao tác. Bản nháp trả lời vẫn giữ trên máy này: đăng nhập lại để tiếp tục.';
}

$('logout').addEventListener('click', async () => {
  shift.forgetDrafts();  // a deliberate logout leaves nothing behind in the tab
  try { await api('POST', '/api/logout'); } catch { /* the session is gone either way */ }
  location.hash = '#/queue';
  loggedOut();
});

$('enable-alerts').addEventListener('click', async () => {
  const permission = await alerts.enableNotifications();
  $('enable-alerts').textContent = permission === 'granted' ? 'Đã bật thông báo' : 'Đã bật âm báo';
});

wireAccount(async (me) => {
  const wasSettingUp = settingUp(state.me);
  state.me = me;
  setCsrf(me.csrf_token);
  if (wasSettingUp !== settingUp(me)) await loggedIn(me);  // opens (or closes) the event stream and the queue
  else await renderAccount(me);
}, handle);

// -- live updates ---------------------------------------------------------------------------------------------------

function connect() {
  if (state.events) state.events.close();
  const events = new EventSource('/api/events');
  state.events = events;
  const connection = (up) => {
    $('connection').classList.toggle('down', !up);
    $('connection-text').textContent = up ? 'Đang cập nhật trực tiếp' : 'Mất kết nối — đang thử lại';
  };
  events.onopen = () => connection(true);
  events.onerror = () => connection(false);
  events.addEventListener('queue', (message) => {
    const event = JSON.parse(message.data);
    if ((event.change === 'enqueued' || event.change === 'raised') && event.risk === 'high') {
      alerts.alert('Cầu Nối: nguy cơ cao', 'Một người có nguy cơ cao vừa vào hàng chờ.');
    }
    if (event.change === 'transferred' && state.me && event.operator === state.me.username) {
      alerts.alert('Cầu Nối: cuộc trò chuyện được chuyển cho bạn', 'Mở bảng điều khiển để tiếp tục.');
    }
    refresh(event.conversation_id);
  });
  // A transcript grew: the queue too (the held conversations' unread counts), and the open conversation if it is this one.
  events.addEventListener('transcript', (message) => refresh(JSON.parse(message.data).conversation_id));
  events.addEventListener('note', (message) => {
    const event = JSON.parse(message.data);
    if (event.conversation_id === state.current) loadConversation();
  });
  events.addEventListener('status', () => { if (!$('board-view').hidden) renderBoard().catch(() => {}); });
  events.addEventListener('alert', (message) => {
    const event = JSON.parse(message.data);
    alerts.alert('Cầu Nối: nguy cơ cao vẫn chờ', `${RISK[event.risk] || event.risk} — đã chờ ${event.waited_minutes} phút, chưa ai nhận.`);
  });
  events.addEventListener('resync', () => refresh(state.current));
  // The stream's session ended. This browser may have a new one (its own password change, 'sign out everywhere
  // else'): then it goes on with that; otherwise it is logged out.
  events.addEventListener('logout', async () => {
    events.close();
    try {
      await renewed();
      const me = await api('GET', '/api/me');
      state.me = me;
      setCsrf(me.csrf_token);
      if (!settingUp(me)) connect();
    } catch {
      loggedOut();
    }
  });
}

// Bursts of events become one fetch of each view they touch.
let pending = null;
let conversationTouched = false;
function refresh(conversationId) {
  if (!conversationId || conversationId === state.current) conversationTouched = true;
  clearTimeout(pending);
  pending = setTimeout(() => {
    loadQueue();
    if (state.current && conversationTouched) loadConversation();
    conversationTouched = false;
    if (!$('stats-view').hidden) renderStats().catch(() => {});
    if (!$('board-view').hidden) renderBoard().catch((error) => handle(error, 'board-error'));
  }, 50);
}

// -- views ----------------------------------------------------------------------------------------------------------

async function loadQueue() {
  try {
    state.queue = await api('GET', '/api/queue');
  } catch (error) {
    return handle(error, 'action-error');
  }
  state.selected = Math.min(state.selected, Math.max(0, state.queue.waiting.length - 1));
  renderQueue(state.queue, state.selected, state.me && state.me.username, state.current);
  shift.noticeUnread(state.queue, state.me && state.me.username, state.current);
}

async function loadConversation() {
  const id = state.current;
  if (!id) return;
  try {
    const data = await api('GET', conversationPath(id));
    if (id !== state.current) return;
    state.conversation = data;
    renderConversation(data, state.me);
    await renderReferrals(id, data.mine || state.me.role === 'supervisor').catch((error) => handle(error, 'referral-error'));
  } catch (error) {
    handle(error, 'action-error');
  }
}

function open(id) {
  location.hash = `#/c/${encodeURIComponent(id)}`;
}

async function route() {
  if (!state.me) return;
  const hash = location.hash || '#/queue';
  if (hash.startsWith('#/c/')) {
    const id = decodeURIComponent(hash.slice(4));
    if (id !== state.current) {
      $('transcript').replaceChildren();
      $('reply-status').textContent = '';
      $('action-error').textContent = '';
      $('reply-text').value = shift.draft(state.me, id);  // a draft kept across an idle logout
    }
    state.current = id;
    show('conversation-view');
    await loadConversation();
    return;
  }
  state.current = null;
  state.conversation = null;
  if (hash === '#/account' || settingUp(state.me)) {
    show('account-view');
    await renderAccount(state.me).catch((error) => handle(error, 'sessions-status'));
    return;
  }
  if (hash === '#/search') {
    show('search-view');
    await showSearch().catch((error) => handle(error, 'search-error'));
    return;
  }
  if (hash === '#/board' && state.me.role === 'supervisor') {
    show('board-view');
    await renderBoard().catch((error) => handle(error, 'board-error'));
    return;
  }
  if (hash === '#/stats' && state.me.role === 'supervisor') {
    show('stats-view');
    await renderStats().catch((error) => handle(error, 'action-error'));
    return;
  }
  show('queue-view');
  await loadQueue();
}
window.addEventListener('hashchange', route);

// -- actions --------------------------------------------------------------------------------------------------------

function insertReply(text) {
  const box = $('reply-text');
  if (box.disabled) return;
  box.value = box.value ? `${box.value}\n${text}` : text;
  box.focus();
}

async function claim(id) {
  $('action-error').textContent = '';
  try {
    await actions.claim(id);
    if (state.current !== id) open(id);
    else await loadConversation();
    $('reply-text').focus();
  } catch (error) {
    handle(error, 'action-error');
  }
}

$('claim').addEventListener('click', () => state.current && claim(state.current));
$('back').addEventListener('click', () => { location.hash = '#/queue'; });

wireReferrals(() => state.current);

$('reply-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('reply-text').value.trim();
  if (!text || !state.current) return;
  $('reply-send').disabled = true;
  try {
    const { delivered } = await actions.reply(state.current, text);
    $('reply-text').value = '';
    shift.saveDraft(state.me, state.current, '');
    $('reply-status').textContent = delivered ? 'Đã gửi.' : '⚠ Tin nhắn chưa tới được người nhắn (đã lưu trong hội thoại).';
    await loadConversation();
  } catch (error) {
    handle(error, 'reply-status');
  } finally {
    $('reply-send').disabled = !(state.conversation && state.conversation.mine);
  }
});

$('note-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('note-text').value.trim();
  if (!text || !state.current) return;
  try {
    await actions.note(state.current, text);
    $('note-text').value = '';
    await loadConversation();
  } catch (error) {
    handle(error, 'action-error');
  }
});

$('release').addEventListener('click', async () => {
  try {
    await actions.release(state.current);
    location.hash = '#/queue';
  } catch (error) {
    handle(error, 'action-error');
  }
});

$('transfer').addEventListener('click', () => {
  const holder = state.conversation && state.conversation.operator ? state.conversation.operator.username : null;
  openTransfer(state.me, holder).catch((error) => handle(error, 'action-error'));
});
$('transfer-cancel').addEventListener('click', () => $('transfer-dialog').close());
$('transfer-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const note = $('transfer-note').value.trim();
    if (!note) { $('transfer-error').textContent = 'Hãy viết ghi chú bàn giao cho người nhận.'; return; }
    await actions.transfer(state.current, $('transfer-operator').value, note);
    $('transfer-dialog').close();
    await loadConversation();
  } catch (error) {
    handle(error, 'transfer-error');
  }
});

async function referTo(entryId) {  // the closing dialog, with this directory entry as the referral
  state.directory = (await api('GET', '/api/directory')).entries;  // fresh: an entry verified a minute ago is in
  if (!state.tags) state.tags = (await api('GET', '/api/close-tags')).tags;
  await openClose(state.directory, state.tags);
  if (entryId) {
    $('close-entry').value = entryId;
    $('close-outcome').value = 'referred';
  }
}

$('close').addEventListener('click', () => referTo(null).catch((error) => handle(error, 'action-error')));
$('close-cancel').addEventListener('click', () => $('close-dialog').close());
$('close-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const body = closeBody();
    if (body.missing) { $('close-error').textContent = body.missing; return; }
    await actions.close(state.current, body);
    $('close-dialog').close();
    shift.saveDraft(state.me, state.current, '');
    shift.offerBreak(state.conversation);
    location.hash = '#/queue';
  } catch (error) {
    handle(error, 'close-error');
  }
});

// -- keyboard -------------------------------------------------------------------------------------------------------

for (const kind of ['pointerdown', 'keydown', 'input']) document.addEventListener(kind, () => { if (state.me) shift.active(); }, true);
$('reply-text').addEventListener('input', () => shift.saveDraft(state.me, state.current, $('reply-text').value));
shift.wirePrefs();
wireSearch((error, node) => handle(error, node));
wireBoard((error) => handle(error, 'board-error'));
shift.wireStatus((error) => handle(error, 'action-error'));
wireCannedSearch(() => state.canned, (text) => shift.saveDraft(state.me, state.current, text));

document.addEventListener('keydown', (event) => {
  alerts.unlock();
  if (!state.me) return;
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    if (event.target === $('reply-text')) { event.preventDefault(); $('reply-form').requestSubmit(); }
    if (event.target === $('note-text')) { event.preventDefault(); $('note-form').requestSubmit(); }
    return;
  }
  if (event.key === 'Escape') {
    if (document.querySelector('dialog[open]')) return;  // the dialog closes itself
    if (typing(event)) { event.target.blur(); return; }
    if (state.current) location.hash = '#/queue';
    return;
  }
  if (typing(event) || event.ctrlKey || event.metaKey || event.altKey || document.querySelector('dialog[open]')) return;
  if (!shift.prefs().shortcuts && event.key !== '?') return;
  if (event.key === 'Enter' && event.target instanceof Element && event.target.closest('a, button')) return;  // the focused link or button  // single-key shortcuts switched off (screen readers, typing habits)
  const inQueue = !$('queue-view').hidden;
  const waiting = state.queue.waiting;
  switch (event.key) {
    case 'j':
    case 'k':
      if (!inQueue || !waiting.length) return;
      state.selected = (state.selected + (event.key === 'j' ? 1 : -1) + waiting.length) % waiting.length;
      renderQueue(state.queue, state.selected, state.me.username, state.current);
      break;
    case 'Enter':
    case 'o':
      if (inQueue && waiting[state.selected]) open(waiting[state.selected].id);
      break;
    case 'c':
      if (state.current) claim(state.current);
      else if (inQueue && waiting[state.selected]) claim(waiting[state.selected].id);
      break;
    case 'r':
      if (state.current) $('reply-text').focus();
      break;
    case 'n':
      if (state.current) $('note-text').focus();
      break;
    case 's':
      if (state.me.role === 'supervisor') location.hash = '#/stats';
      break;
    case 'q':
      location.hash = '#/queue';
      break;
    case '?':
      $('help-dialog').showModal();
      break;
    default:
      if (/^[1-9]$/.test(event.key) && state.current) {
        const button = document.querySelectorAll('#canned button')[Number(event.key) - 1];
        if (button) button.click();
        break;
      }
      return;
  }
  event.preventDefault();
});

setInterval(tick, 1000);
wireReveal();
start();
