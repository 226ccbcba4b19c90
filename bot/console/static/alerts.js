// Alerts for high-risk conversations: a tone made here with WebAudio (no audio file) and a browser notification.

let audio = null;

// Browsers only allow sound after the operator did something on the page: call this from a click or a key.
export function unlock() {
  if (!audio && window.AudioContext) audio = new AudioContext();
  if (audio && audio.state === 'suspended') audio.resume();
}

export function enableNotifications() {
  unlock();
  if ('Notification' in window && Notification.permission === 'default') return Notification.requestPermission();
  return Promise.resolve(window.Notification ? Notification.permission : 'denied');
}

function tone() {
  if (!audio) return;
  const start = audio.currentTime;
  for (const [offset, frequency] of [[0, 880], [0.22, 660], [0.44, 880]]) {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = 'sine';
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(start + offset);
    oscillator.stop(start + offset + 0.2);
  }
}

// `sound`: false when the operator switched the tone off for this kind of alert; `tag`: one notification per kind.
export function alert(title, body, { sound = true, tag = 'caunoi-high-risk' } = {}) {
  if (sound) tone();
  window.dispatchEvent(new CustomEvent('caunoi-alert', { detail: { title } }));
  if ('Notification' in window && Notification.permission === 'granted') {
    const note = new Notification(title, { body, tag, renotify: true });
    note.onclick = () => { window.focus(); note.close(); };
  }
}
