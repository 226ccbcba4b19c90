// The queue: who waits, highest risk first, then the longest wait; and the conversations operators hold.

import { $, el, fill } from './dom.js';
import { RISK, channelOf, waitedSince, time, windowLeft } from './format.js';

// Zalo: the reply window left, on the conversation's row (bot/console/window.py).
function windowBadge(item) {
  const reply = item.reply_window;
  if (!reply) return null;
  return el('span', { class: `badge ${reply.open ? 'window-open' : 'window-closed'}`, dataset: { until: reply.closes_at },
    title: 'Zalo: chỉ trả lời được trong 48 giờ kể từ tin cuối của người dùng', text: windowLeft(reply.closes_at) });
}

function waitingRow(item, index, selected, open) {
  return el('li', {
    class: `risk-${item.risk}${index === selected ? ' selected' : ''}`, dataset: { id: item.id }, tabindex: '-1',
    onclick: () => open(item.id),
  },
  el('span', { class: 'place', text: `#${item.place}` }),
  el('span', { class: `risk risk-text-${item.risk}`, text: RISK[item.risk] || item.risk }),
  el('span', { class: 'wait', title: `Chờ từ ${time(item.waiting_since)}`, dataset: { since: item.waiting_since }, text: waitedSince(item.waiting_since) }),
  el('span', { class: 'reasons' },
    el('span', { class: 'badge', text: channelOf(item.id) }),
    windowBadge(item),
    item.campaign ? el('span', { class: 'badge', text: `Chiến dịch: ${item.campaign}` }) : null,
    (item.reasons || []).join(' · ') || 'Không có dấu hiệu cụ thể'),
  el('span', { class: 'since', text: time(item.waiting_since) }),
  item.summary ? el('span', { class: 'summary', title: item.summary, text: item.summary }) : null);
}

function heldRow(item, me, open) {
  const who = item.operator === me ? 'Bạn' : item.operator;
  return el('li', { class: `risk-${item.risk}`, dataset: { id: item.id }, onclick: () => open(item.id) },
    el('span', { class: 'place', text: '•' }),
    el('span', { class: `risk risk-text-${item.risk}`, text: RISK[item.risk] || item.risk }),
    el('span', { class: 'wait', text: time(item.claimed_at) }),
    el('span', { class: 'reasons' }, el('span', { class: 'badge', text: channelOf(item.id) }), windowBadge(item), `${who} đang hỗ trợ`),
    el('span', { class: 'since' }));
}

export function renderQueue(queue, selected, me, open) {
  fill($('queue-list'), queue.waiting.map((item, index) => waitingRow(item, index, selected, open)));
  fill($('held-list'), queue.held.map((item) => heldRow(item, me, open)));
  $('queue-empty').hidden = queue.waiting.length > 0;
  $('held-empty').hidden = queue.held.length > 0;
  const count = $('waiting-count');
  count.textContent = String(queue.waiting.length);
  count.classList.toggle('alert', queue.waiting.some((item) => item.risk === 'high'));
  const row = $('queue-list').children[selected];
  if (row) row.scrollIntoView({ block: 'nearest' });
}
