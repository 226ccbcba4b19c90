// The queue: who waits, highest risk first, then the longest wait; and the conversations operators hold, each with
// what the person wrote since its holder last looked and how long they have waited for an answer. Every row is a link
// (Tab reaches it, Enter opens it); the selected one carries aria-current.

import { $, el, fill } from './dom.js';
import { RISK, channelOf, waitedSince, time, windowLeft } from './format.js';

// The team the conversation waits for first (bot/state/teams.py), and whether it has opened to every team.
function teamBadge(item) {
  if (!item.team_name) return null;
  return el('span', { class: `badge team${item.open_to_all ? ' open-to-all' : ''}`, dataset: { team: item.team },
    title: item.open_to_all ? 'Đã mở cho mọi nhóm (nguy cơ cao chờ lâu, hoặc nhóm không còn ai trực)' : 'Chờ nhóm này trước',
    text: `Nhóm: ${item.team_name}${item.open_to_all ? ' · mọi nhóm' : ''}` });
}

// Zalo: the reply window left, on the conversation's row (bot/console/window.py).
function windowBadge(item) {
  const reply = item.reply_window;
  if (!reply) return null;
  return el('span', { class: `badge ${reply.open ? 'window-open' : 'window-closed'}`, dataset: { until: reply.closes_at },
    title: 'Zalo: chỉ trả lời được trong 48 giờ kể từ tin cuối của người nhắn', text: windowLeft(reply.closes_at) });
}

function row(item, props, ...cells) {
  return el('li', { class: props.class, dataset: { id: item.id } },
    el('a', { class: 'row', href: `#/c/${encodeURIComponent(item.id)}`, 'aria-current': props.current ? 'true' : null,
      'aria-label': props.label }, ...cells));
}

function waitingRow(item, index, selected, current) {
  const risk = RISK[item.risk] || item.risk;
  return row(item, {
    class: `risk-${item.risk}${index === selected ? ' selected' : ''}`, current: index === selected || item.id === current,
    label: `#${item.place}, ${risk}, ${channelOf(item.id)}${item.team_name ? `, nhóm ${item.team_name}` : ''}, đã chờ ${waitedSince(item.waiting_since)}`,
  },
  el('span', { class: 'place', text: `#${item.place}` }),
  el('span', { class: `risk risk-text-${item.risk}`, text: risk }),
  el('span', { class: 'wait', title: `Chờ từ ${time(item.waiting_since)}`, dataset: { since: item.waiting_since }, text: waitedSince(item.waiting_since) }),
  el('span', { class: 'reasons' },
    el('span', { class: 'badge', text: channelOf(item.id) }),
    windowBadge(item),
    teamBadge(item),
    item.campaign ? el('span', { class: 'badge', text: `Chiến dịch: ${item.campaign}` }) : null,
    (item.reasons || []).join(' · ') || 'Không có dấu hiệu cụ thể'),
  el('span', { class: 'since', text: time(item.waiting_since) }),
  item.summary ? el('span', { class: 'summary', title: item.summary, text: item.summary }) : null);
}

function heldRow(item, me, current) {
  const mine = item.operator === me;
  const who = mine ? 'Bạn' : item.operator;
  const unread = mine && item.unread > 0;
  const risk = RISK[item.risk] || item.risk;
  const label = [risk, channelOf(item.id), `${who} đang hỗ trợ`, unread ? `${item.unread} tin chưa đọc` : null,
    item.waiting_for_reply_since ? `chờ trả lời ${waitedSince(item.waiting_for_reply_since)}` : null].filter(Boolean).join(', ');
  return row(item, { class: `risk-${item.risk}${unread ? ' unread' : ''}`, current: item.id === current, label },
    el('span', { class: 'place', text: '•' }),
    el('span', { class: `risk risk-text-${item.risk}`, text: risk }),
    el('span', { class: 'wait', title: 'Người nhắn chờ câu trả lời' },
      item.waiting_for_reply_since ? el('span', { dataset: { since: item.waiting_for_reply_since }, text: waitedSince(item.waiting_for_reply_since) }) : '—'),
    el('span', { class: 'reasons' }, el('span', { class: 'badge', text: channelOf(item.id) }), windowBadge(item), teamBadge(item),
      unread ? el('span', { class: 'badge unread-count', text: `${item.unread} tin chưa đọc` }) : null,
      `${who} đang hỗ trợ`),
    el('span', { class: 'since', text: `nhận lúc ${time(item.claimed_at)}` }));
}

// The person's messages the operator has not read yet, over every conversation they hold.
export function unreadTotal(queue, me) {
  return queue.held.filter((item) => item.operator === me).reduce((sum, item) => sum + (item.unread || 0), 0);
}

export function renderQueue(queue, selected, me, current) {
  fill($('queue-list'), queue.waiting.map((item, index) => waitingRow(item, index, selected, current)));
  fill($('held-list'), queue.held.map((item) => heldRow(item, me, current)));
  $('queue-empty').hidden = queue.waiting.length > 0;
  $('held-empty').hidden = queue.held.length > 0;
  const count = $('waiting-count');
  count.textContent = String(queue.waiting.length);
  count.classList.toggle('alert', queue.waiting.some((item) => item.risk === 'high'));
  const unread = unreadTotal(queue, me);
  const badge = $('unread-count');
  badge.hidden = unread === 0;
  badge.textContent = `${unread} chưa đọc`;
  document.title = unread ? `(${unread}) Cầu Nối — Tổng đài viên` : 'Cầu Nối — Tổng đài viên';
  const selectedRow = $('queue-list').children[selected];
  if (selectedRow) selectedRow.scrollIntoView({ block: 'nearest' });
}
