// How things read on the console: Vietnamese labels, times in Vietnam's time zone (Asia/Ho_Chi_Minh, UTC+7).

const ZONE = 'Asia/Ho_Chi_Minh';
const clock = new Intl.DateTimeFormat('vi-VN', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dated = new Intl.DateTimeFormat('vi-VN', { timeZone: ZONE, day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
const day = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

export const RISK = { high: 'Nguy cơ cao', medium: 'Nguy cơ vừa', low: 'Nguy cơ thấp', none: 'Chưa rõ' };
export const CHANNEL = { tg: 'Telegram', telegram: 'Telegram', zalo: 'Zalo', web: 'Web' };
export const AUTHOR = { person: 'Người dùng', bot: 'Bot', operator: 'Tổng đài viên', system: 'Hệ thống' };
export const OUTCOME = { referred: 'Đã chuyển tuyến', informed: 'Đã cung cấp thông tin', no_response: 'Không trả lời', false_alarm: 'Báo nhầm' };
export const STATE = { bot: 'Bot đang trả lời', waiting: 'Đang chờ tổng đài viên', human: 'Tổng đài viên đang hỗ trợ' };

export function time(iso) {
  if (!iso) return '';
  const when = new Date(iso);
  return day.format(when) === day.format(new Date()) ? clock.format(when) : dated.format(when);
}

export function duration(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  const two = (n) => String(n).padStart(2, '0');
  return h ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

export function waitedSince(iso) {
  return duration((Date.now() - new Date(iso).getTime()) / 1000);
}

// Zalo's reply window (bot/console/window.py): an answer reaches the person only within 48 hours of their last message.
export function windowLeft(iso) {
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  return seconds > 0 ? `còn ${duration(seconds)} để trả lời` : 'đã hết hạn trả lời';
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
