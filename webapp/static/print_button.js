// A "print" button prints the page (its print CSS hides the navigation and the buttons).
document.querySelectorAll("button.print").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
