// One conversation: the transcript (both sides), what is known about the person, notes, and the operator's actions.

import { api, conversationPath } from './api.js';
import { attachment } from './attachments.js';
import { $, el, fill } from './dom.js';
import { AUTHOR, OUTCOME, RISK, STATE, channelOf, time, waitedSince, windowLeft } from './format.js';

function entry(item, data, supervisor) {
  return el('li', { class: `from-${item.from}${item.kind === 'handover' ? ' note-handover' : ''}` },
    el('span', { class: 'meta', text: `${AUTHOR[item.from] || item.from} · ${time(item.at)}` }),
    el('span', { class: 'text', text: item.text }),
    attachment(item, data, supervisor),
    item.undeliverable ? el('span', { class: 'undeliverable', text: ` ⚠ không gửi được (${item.reason || ''})` }) : null);
}

function location(place, item) {
  if (!place) return item && item.summary ? 'Chưa có trong hồ sơ — xem Tóm tắt' : 'Chưa biết';
  // A country named in the messages: the writer may be there, or tell of someone who is (a mother about her daughter).
  if (place.abroad && !place.province && !place.country) return 'Tin nhắn có nhắc tới nước ngoài — xem Tóm tắt';
  const parts = [];
  if (place.province) parts.push(place.province);
  if (place.country) parts.push(place.country);
  const text = parts.join(', ');
  if (!place.map_url) return text;
  return el('span', {}, text ? `${text} — ` : '',
    el('a', { href: place.map_url, target: '_blank', rel: 'noopener noreferrer', id: 'map-link', text: `Bản đồ OpenStreetMap (${place.latitude.toFixed(4)}, ${place.longitude.toFixed(4)})` }));
}

// Zalo only: how long an answer can still reach the person, and the replies sent since they last wrote.
function replyWindow(reply) {
  if (!reply) return '—';
  const closed = !reply.open;
  return el('span', {},
    el('span', { id: 'reply-window', class: closed ? 'window-closed' : 'window-open', dataset: { until: reply.closes_at },
      title: `Tin cuối của người nhắn: ${time(reply.last_message_at)} · hết hạn lúc ${time(reply.closes_at)}`,
      text: windowLeft(reply.closes_at) }),
    el('span', { class: 'window-note', text: ` · đã gửi ${reply.replies}/${reply.free_replies} tin trả lời miễn phí` }),
    closed ? el('span', { class: 'window-note', text: ' · chờ người nhắn viết lại' }) : null);
}

function facts(data) {
  const item = data.case;
  const rows = [
    ['Trạng thái', STATE[data.state] || data.state],
    ['Nguy cơ', item ? el('span', { class: `risk-text-${item.risk}`, text: RISK[item.risk] || item.risk }) : '—'],
    ['Dấu hiệu', item && item.reasons.length ? item.reasons.join('\n') : '—'],
    ['Kênh', channelOf(data.id)],
    ...(channelOf(data.id) === 'Zalo' ? [['Hạn trả lời (Zalo, 48 giờ)', replyWindow(data.reply_window)]] : []),
    ['Chiến dịch', (item && item.campaign) || '—'],
    ...(item && item.team_name ? [['Nhóm', `${item.team_name}${item.open_to_all ? ' (đã mở cho mọi nhóm)' : ' (chờ nhóm này trước)'}`]] : []),
    ['Vị trí', location(data.location, item)],
    ['Chờ từ', item ? `${time(item.waiting_since)}` : '—'],
    ['Tóm tắt', (item && item.summary) || '—'],
  ];
  if (data.state === 'waiting' && item) rows.splice(rows.findIndex(([name]) => name === 'Chờ từ') + 1, 0, ['Đã chờ', el('span', { dataset: { since: item.waiting_since }, text: waitedSince(item.waiting_since) })]);
  return rows.flatMap(([name, value]) => [el('dt', { text: name }), el('dd', {}, value)]);
}

function stateLine(data) {
  if (data.state === 'human') {
    if (data.mine) return 'Bạn đang hỗ trợ';
    const who = data.operator ? (data.operator.alias || data.operator.username) : 'Tổng đài viên khác';
    return `${who} đang hỗ trợ`;
  }
  if (data.state === 'waiting') return `Đang chờ${data.case && data.case.place ? ` (#${data.case.place})` : ''}`;
  return STATE.bot;
}

export function renderConversation(data, me) {
  $('conv-title').textContent = `${channelOf(data.id)} · ${data.id}`;
  $('conv-state').textContent = stateLine(data);
  const list = $('transcript');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  fill(list, data.transcript.map((item) => entry(item, data, me.role === 'supervisor')));
  if (atBottom || !list.dataset.shown || list.dataset.shown !== data.id) list.scrollTop = list.scrollHeight;
  list.dataset.shown = data.id;
  fill($('facts'), facts(data));
  // A handover note to this operator comes first: it is what they need before answering.
  const notes = [...data.notes].sort((a, b) => Number(b.kind === 'handover' && b.to === me.username) - Number(a.kind === 'handover' && a.to === me.username));
  fill($('notes'), notes.map((note) => el('li', { class: note.kind === 'handover' ? 'note-handover' : '' },
    el('span', { class: 'meta', text: note.kind === 'handover' ? `Bàn giao: ${note.operator} → ${note.to} · ${time(note.at)}` : `${note.operator === 'system' ? 'Hệ thống' : note.operator} · ${time(note.at)}` }),
    el('span', { class: 'text', text: note.text }))));
  $('history-title').hidden = data.history.length === 0;
  fill($('history'), data.history.map((item) => el('li', {},
    el('span', { class: 'meta', text: `${time(item.closed_at)} · ${item.operator || item.closed_by}` }),
    el('span', { text: `${OUTCOME[item.outcome] || item.outcome}${item.referral ? ` → ${item.referral.name || item.referral.agency}` : ''}${item.follow_up ? ' · cần liên hệ lại' : ''}` }),
    item.summary ? el('span', { class: 'text', text: ` — ${item.summary}` }) : null)));
  const supervisor = me.role === 'supervisor';
  const handles = data.state === 'human' && (data.mine || supervisor);
  // Only the actions that apply now are shown.
  $('claim').hidden = data.state !== 'waiting';
  $('release').hidden = !handles;
  $('transfer').hidden = !handles;
  $('close').hidden = !(handles || (supervisor && data.state === 'waiting'));
  $('reply-text').disabled = !data.mine;
  $('reply-send').disabled = !data.mine;
  $('reply-text').placeholder = data.mine ? 'Trả lời (r) — Ctrl+Enter để gửi' : 'Nhận cuộc trò chuyện (c) để trả lời';
}

// Canned replies under their group's heading (content/vi/canned_replies.yml `group`); 1–9 insert the first nine.
export const GENERAL = 'Chung';

export function grouped(replies) {
  const groups = new Map();
  for (const reply of replies) {
    const name = reply.group || GENERAL;
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name).push(reply);
  }
  return groups;
}

export function renderCanned(replies, insert) {
  let number = 0;
  const nodes = [];
  for (const [name, items] of grouped(replies)) {
    nodes.push(el('h4', { text: name }));
    for (const reply of items) {
      number += 1;
      nodes.push(el('button', { type: 'button', class: 'quiet', title: reply.text, dataset: { canned: reply.id },
        onclick: () => insert(reply.text), text: number <= 9 ? `${number}. ${reply.title}` : reply.title }));
    }
  }
  fill($('canned'), nodes);
}

export async function openClose(entries, tags) {
  fill($('close-tags'), [el('legend', { text: 'Chủ đề (chọn ít nhất một)' }),
    ...tags.map((tag) => el('label', { class: 'check' }, el('input', { type: 'checkbox', value: tag.id, name: 'close-tag' }), tag.label))]);
  $('close-outcome').value = '';
  $('close-summary').value = '';
  $('close-follow-up').checked = false;
  const select = $('close-entry');
  fill(select, [el('option', { value: '', text: '—' }),
    ...entries.map((item) => el('option', { value: item.id, text: `${item.name}${item.province ? ` (${item.province})` : ''}${item.phone ? ` — ${item.phone}` : ''}` }))]);
  $('close-agency').value = '';
  $('close-error').textContent = '';
  $('close-dialog').showModal();
}

// What the close dialog says, or the first thing missing (in Vietnamese, before anything reaches the server).
export function closeBody() {
  const outcome = $('close-outcome').value;
  const entry = $('close-entry').value;
  const agency = $('close-agency').value.trim();
  const referral = entry ? { entry_id: entry } : agency ? { agency } : null;
  const tags = [...document.querySelectorAll('#close-tags input:checked')].map((box) => box.value);
  const summary = $('close-summary').value.trim();
  if (!outcome) return { missing: 'Hãy chọn kết quả.' };
  if (!tags.length) return { missing: 'Hãy chọn ít nhất một chủ đề.' };
  if (!summary) return { missing: 'Hãy viết một tóm tắt ngắn cho người trực sau.' };
  return { outcome, referral, tags, summary, follow_up: $('close-follow-up').checked };
}

// Only operators on duty with a console open can be given a conversation (the server refuses the others too).
// A supervisor may also pick themselves: taking the conversation over from the operator who holds it.
export async function openTransfer(me, holder) {
  const { operators } = await api('GET', '/api/operators');
  const others = operators.filter((o) => o.username !== (holder || me.username) && o.available);
  fill($('transfer-operator'), others.map((o) => el('option', {
    value: o.username, text: o.username === me.username ? `Tôi (${o.username}) — nhận thay` : `${o.username}${o.alias ? ` (${o.alias})` : ''}`,
  })));
  $('transfer-nobody').hidden = others.length > 0;
  $('transfer-confirm').disabled = others.length === 0;
  $('transfer-note').value = '';
  $('transfer-error').textContent = '';
  $('transfer-dialog').showModal();
}

export const actions = {
  claim: (id) => api('POST', `${conversationPath(id)}/claim`),
  reply: (id, text) => api('POST', `${conversationPath(id)}/messages`, { text }),
  release: (id) => api('POST', `${conversationPath(id)}/release`),
  transfer: (id, operator, note) => api('POST', `${conversationPath(id)}/transfer`, { operator, note }),
  close: (id, body) => api('POST', `${conversationPath(id)}/close`, body),
  note: (id, text) => api('POST', `${conversationPath(id)}/notes`, { text }),
};
