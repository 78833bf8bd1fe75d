// Passkeys (WebAuthn): a form marked data-passkey="create" or "get" asks the browser
// for a new passkey or for one of the member's, with the options the page carries
// (JSON, binary values in base64url), then posts the answer in its "credential" field.
(() => {
  "use strict";

  const toBuffer = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
  };

  const toText = (buffer) => {
    if (!buffer) return null;
    let binary = "";
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };

  const withBuffers = (options, kind) => {
    const listed = kind === "create" ? "excludeCredentials" : "allowCredentials";
    const publicKey = {...options, challenge: toBuffer(options.challenge)};
    publicKey[listed] = (options[listed] || []).map((c) => ({...c, id: toBuffer(c.id)}));
    if (kind === "create") publicKey.user = {...options.user, id: toBuffer(options.user.id)};
    return publicKey;
  };

  const asJSON = (credential) => {
    const r = credential.response;
    const response = {clientDataJSON: toText(r.clientDataJSON)};
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      response.userHandle = toText(r.userHandle);
    }
    return JSON.stringify({
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
    });
  };

  const ceremony = async (form) => {
    const kind = form.dataset.passkey;
    const source = document.getElementById(form.dataset.options);
    const publicKey = withBuffers(JSON.parse(source.textContent), kind);
    const credential = kind === "create"
      ? await navigator.credentials.create({publicKey})
      : await navigator.credentials.get({publicKey});
    form.elements.credential.value = asJSON(credential);
    form.submit();
  };

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-passkey]");
    if (!form || form.elements.credential.value) return;
    event.preventDefault();
    const error = form.querySelector(".passkey-error");
    if (!window.PublicKeyCredential) {
      error.textContent = form.dataset.failed;
      error.hidden = false;
      return;
    }
    error.hidden = true;
    ceremony(form).catch(() => {
      error.textContent = form.dataset.failed;
      error.hidden = false;
    });
  });
})();
