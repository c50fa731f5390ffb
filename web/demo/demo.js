// The demo page's settings: the Rasa server, and (for trying them out and for the tests)
// any init option from the query string: ?server=, ?storage=, ?expiryHours=, ?exit=.
const params = new URLSearchParams(location.search);
const server = params.get("server") || "http://127.0.0.1:5005";
document.getElementById("server").textContent = server;
const options = { serverUrl: server, title: "Partner tears bot" };
if (params.has("storage")) options.storage = params.get("storage");
if (params.has("expiryHours")) options.expiryHours = Number(params.get("expiryHours"));
if (params.has("exit")) options.quickExitUrl = new URL(params.get("exit"), location.href).href;
window.chatWidget = ChatWidget.init(options);
