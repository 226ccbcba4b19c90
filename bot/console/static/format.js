// How things read on the console: Vietnamese labels, times in Vietnam's time zone (Asia/Ho_Chi_Minh, UTC+7).

const ZONE = 'Asia/Ho_Chi_Minh';
const clock = new Intl.DateTimeFormat('vi-VN', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dated = new Intl.DateTimeFormat('vi-VN', { timeZone: ZONE, day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
const day = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

export const RISK = { high: 'Nguy cơ cao', medium: 'Nguy cơ trung bình', low: 'Nguy cơ thấp', none: 'Chưa rõ' };
export const CHANNEL = { tg: 'Telegram', telegram: 'Telegram', zalo: 'Zalo', web: 'Web' };
export const AUTHOR = { person: 'Người nhắn', bot: 'Bot', operator: 'Tổng đài viên', system: 'Hệ thống' };
export const OUTCOME = { referred: 'Đã chuyển tuyến', informed: 'Đã cung cấp thông tin', no_response: 'Người nhắn không trả lời', false_alarm: 'Báo nhầm' };
export const STATE = { bot: 'Bot đang trả lời', waiting: 'Đang chờ tổng đài viên', human: 'Tổng đài viên đang hỗ trợ' };

export function time(iso) {
  if (!iso) return '';
  const when = new Date(iso);
  return day.format(when) === day.format(new Date()) ? clock.format(when) : dated.format(when);
}

// Every wait carries its units: "02:12" at 4 a.m. reads as a clock.
// `exact`: seconds too, for a countdown that must be seen to move.
export function duration(seconds, exact = false) {
  seconds = Math.max(0, Math.floor(seconds));
  const d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  if (exact && (d || h)) return `${d * 24 + h} giờ ${m} phút ${s} giây`;
  if (d) return `${d} ngày ${h} giờ`;
  if (h) return `${h} giờ ${m} phút`;
  if (m) return `${m} phút ${s} giây`;
  return `${s} giây`;
}

export const STATUS = { on_duty: 'Đang trực', break: 'Đang nghỉ', off: 'Hết ca' };

export function waitedSince(iso) {
  return duration((Date.now() - new Date(iso).getTime()) / 1000);
}

// Zalo's reply window (bot/console/window.py): an answer reaches the person only within 48 hours of their last message.
export function windowLeft(iso) {
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  return seconds > 0 ? `còn ${duration(seconds, true)} để trả lời` : 'đã hết hạn trả lời';
}

export function channelOf(id) {
  return CHANNEL[String(id).split(':', 1)[0]] || id;
}

// The waiting times and reply windows on screen tick every second.
export function tick() {
  for (const node of document.querySelectorAll('[data-since]')) node.textContent = waitedSince(node.dataset.since);
  for (const node of document.querySelectorAll('[data-until]')) {
    node.textContent = windowLeft(node.dataset.until);
    node.classList.toggle('window-closed', new Date(node.dataset.until).getTime() <= Date.now());
  }
}
