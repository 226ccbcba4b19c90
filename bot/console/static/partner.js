// A partner organisation's page: the referrals sent to it, with only what the person agreed to share, and a status to
// move (received → contacted → helping → closed, or declined with a reason). The API is bot/console/referrals.py;
// the account opens nothing else. Log-in and the account's own settings are the console's (index.html).

import { ApiError, api, setCsrf } from './api.js';
import { $, el, fill } from './dom.js';
import { STATUS } from './referrals.js';

const NEXT = ['received', 'contacted', 'helping', 'closed'];
const FINAL = ['refused', 'expired', 'closed', 'declined'];
const state = { me: null, opened: new Set() };

const when = (iso) => (iso ? iso.replace('T', ' ').slice(0, 16) : '—');
const WHO = { person: 'người nhắn', system: 'hệ thống', hotline: 'tổng đài' };
// The person's later answers (bot/gateway/referrals.py), by the history line's status and note (yes / no).
const CONSENT = {
  consent_contact: { yes: 'Người nhắn đồng ý để tổ chức liên lạc lại', no: 'Người nhắn không muốn tổ chức liên lạc lại' },
  consent_transcript: { yes: 'Người nhắn đồng ý gửi kèm cuộc trò chuyện', no: 'Người nhắn không gửi kèm cuộc trò chuyện' },
};
const happened = (h) => (CONSENT[h.status] && CONSENT[h.status][h.note]) || STATUS[h.status] || 'Cập nhật';

function reason(error) {
  if (!(error instanceof ApiError)) return 'Không kết nối được máy chủ.';
  if (/needs a reason/.test(error.message)) return 'Hãy ghi lý do từ chối.';
  if (/only moves forward|already/.test(error.message)) return 'Trạng thái chỉ đi tiếp, không quay lại.';
  if (error.status === 401) return 'Phiên làm việc đã hết. Vui lòng đăng nhập lại.';
  return 'Không thực hiện được. Vui lòng thử lại.';
}

function contact(referral) {
  const c = referral.contact;
  if (!c) return 'Người nhắn chưa đồng ý để tổ chức liên lạc lại (họ có thể tự liên hệ).';
  if (c.route) return `${c.channel}: ${c.route}`;
  return `${c.channel}: liên lạc qua tổng đài Cầu Nối (tổng đài viên chuyển lời)`;
}

function statusForm(referral) {
  if (FINAL.includes(referral.status)) return el('p', { class: 'hint', text: 'Đã kết thúc.' });
  const at = NEXT.indexOf(referral.status);
  const select = el('select', { class: 'status-choice', 'aria-label': 'Trạng thái mới' },
    ...NEXT.filter((_, index) => index > at).map((name) => el('option', { value: name, text: STATUS[name] })),
    el('option', { value: 'declined', text: STATUS.declined }));
  const note = el('input', { class: 'status-note', maxlength: '500', placeholder: 'Ghi chú (bắt buộc khi từ chối)', 'aria-label': 'Ghi chú' });
  const error = el('p', { class: 'error', role: 'alert' });
  const form = el('form', { class: 'status-form' }, select, note, el('button', { type: 'submit', text: 'Cập nhật' }), error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', `/api/referrals/${encodeURIComponent(referral.id)}/status`, { status: select.value, note: note.value });
      await load();
    } catch (failure) {
      error.textContent = reason(failure);
    }
  });
  return form;
}

async function details(referral, box) {
  const { referral: full } = await api('GET', `/api/referrals/${encodeURIComponent(referral.id)}`);
  const parts = [el('h4', { text: 'Lịch sử' }), el('ol', { class: 'history' }, ...full.history.map((h) => el('li', {
    text: `${when(h.at)} · ${WHO[h.actor] || h.actor} · ${happened(h)}${h.note && !['yes', 'no'].includes(h.note) ? ` — ${h.note}` : ''}`,
  })))];
  if (full.transcript) {
    parts.push(el('h4', { text: 'Cuộc trò chuyện (người nhắn đồng ý chia sẻ)' }),
      el('ol', { class: 'transcript' }, ...full.transcript.map((e) => el('li', { class: e.from, text: `${when(e.at)} ${e.from === 'person' ? 'Người nhắn' : 'Cầu Nối'}: ${e.text}` }))));
  } else {
    parts.push(el('p', { class: 'hint', text: 'Người nhắn không chia sẻ cuộc trò chuyện.' }));
  }
  fill(box, parts);
}

function card(referral) {
  const box = el('div', { class: 'details' });
  const more = el('button', { type: 'button', class: 'quiet', text: 'Xem lịch sử' });
  more.addEventListener('click', () => {
    state.opened.add(referral.id);
    details(referral, box).catch((error) => { box.textContent = reason(error); });
  });
  if (state.opened.has(referral.id)) details(referral, box).catch(() => null);
  return el('li', { class: `referral ${referral.status}`, dataset: { id: referral.id } },
    el('h3', {}, el('span', { text: referral.entry_name }), ' — ', el('span', { class: 'referral-status', text: STATUS[referral.status] || referral.status })),
    el('p', { class: 'hint', text: `Nhận lúc ${when(referral.answered_at)}` }),
    el('p', { class: 'summary', text: referral.summary }),
    el('p', { class: 'contact', text: `Liên hệ: ${contact(referral)}` }),
    referral.decline_reason ? el('p', { text: `Lý do từ chối: ${referral.decline_reason}` }) : null,
    statusForm(referral), more, box);
}

async function load() {
  $('partner-error').textContent = '';
  const status = $('filter-status').value;
  const { referrals } = await api('GET', `/api/referrals${status ? `?status=${status}` : ''}`);
  fill($('partner-referrals'), referrals.map(card));
  $('partner-empty').hidden = referrals.length > 0;
}

async function start() {
  let me;
  try {
    me = await api('GET', '/api/me');
  } catch {
    location.href = 'index.html';
    return;
  }
  if (me.role !== 'partner' || me.must_enrol || me.must_change_password) {
    location.href = 'index.html';
    return;
  }
  state.me = me;
  setCsrf(me.csrf_token);
  $('whoami').textContent = `${me.username} · ${me.org_name || me.org}`;
  for (const name of ['sent', ...NEXT, 'declined']) $('filter-status').append(el('option', { value: name, text: STATUS[name] }));
  $('filter-status').addEventListener('change', () => load().catch((error) => { $('partner-error').textContent = reason(error); }));
  await load().catch((error) => { $('partner-error').textContent = reason(error); });
}

$('logout').addEventListener('click', async () => {
  try { await api('POST', '/api/logout', {}); } catch { /* already out */ }
  fill($('partner-referrals'), []);
  location.href = 'index.html';
});

start();
