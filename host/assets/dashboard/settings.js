// What the user configures, kept in localStorage: the admin token (for
// /api/v1/modules), the JWT (for authenticated hosts) and the account.

const KEYS = { adminToken: "topicwire.adminToken", jwt: "topicwire.jwt", account: "topicwire.account" };

export const DEFAULT_ACCOUNT = "DEMO-ACCOUNT";

function read(key) {
  try {
    return localStorage.getItem(key) ?? "";
  } catch {
    return "";
  }
}

function write(key, value) {
  try {
    if (value) localStorage.setItem(key, value);
    else localStorage.removeItem(key);
  } catch {
    // Storage can be disabled (private mode); the value then lasts for this page only.
  }
}

export const settings = {
  get adminToken() {
    return read(KEYS.adminToken);
  },
  set adminToken(value) {
    write(KEYS.adminToken, value.trim());
  },
  get jwt() {
    return read(KEYS.jwt);
  },
  set jwt(value) {
    write(KEYS.jwt, value.trim());
  },
  get account() {
    return read(KEYS.account) || DEFAULT_ACCOUNT;
  },
  set account(value) {
    write(KEYS.account, value.trim() === DEFAULT_ACCOUNT ? "" : value.trim());
  },
};

/** Shows the Auth form, fills it, and saves it (then reloads, so every connection uses the new tokens). */
export function mountSettings() {
  const toggle = document.getElementById("settings-toggle");
  const form = document.getElementById("settings");
  const admin = document.getElementById("admin-token");
  const jwt = document.getElementById("jwt");
  admin.value = settings.adminToken;
  jwt.value = settings.jwt;
  const mark = () => toggle.classList.toggle("active", Boolean(settings.adminToken || settings.jwt));
  mark();
  toggle.addEventListener("click", () => {
    form.hidden = !form.hidden;
    toggle.setAttribute("aria-expanded", String(!form.hidden));
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    settings.adminToken = admin.value;
    settings.jwt = jwt.value;
    location.reload();
  });
}
