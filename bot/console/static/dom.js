// Building DOM nodes. Text only ever goes in through textContent: whatever a person wrote is shown, never run.

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const $ = (id) => document.getElementById(id);

export function fill(node, children) {
  node.replaceChildren(...children);
}

export function typing(event) {
  const target = event.target;
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

// "Hiện" buttons beside password fields (OWASP ASVS 2.1.12): each `button[data-reveal]` shows or hides the input
// whose id it names, and says which it is doing with aria-pressed.
export function wireReveal(root = document) {
  for (const button of root.querySelectorAll('button[data-reveal]')) {
    const input = $(button.dataset.reveal);
    button.setAttribute('aria-pressed', 'false');
    button.addEventListener('click', () => {
      const shown = input.type === 'password';
      input.type = shown ? 'text' : 'password';
      button.setAttribute('aria-pressed', String(shown));
      button.textContent = shown ? 'Ẩn' : 'Hiện';
      input.focus();
    });
  }
}

// Fields shown in clear are masked again (after a log-in or a change, before the next person sits down).
export function maskAll(root = document) {
  for (const button of root.querySelectorAll('button[data-reveal]')) {
    $(button.dataset.reveal).type = 'password';
    button.setAttribute('aria-pressed', 'false');
    button.textContent = 'Hiện';
  }
}
