// Charts follow their container's width: drawn to it, and redrawn whenever it changes (a phone turned, a menu
// folded, a column resized), not only when the window does.
window.platformFitChart = function (id) {
  const element = document.getElementById(id);
  if (!element || !window.Plotly) return;
  const fit = () => { if (element.offsetParent !== null) window.Plotly.Plots.resize(element); };
  if (window.ResizeObserver) {
    let width = element.clientWidth;
    new ResizeObserver(() => {
      if (element.clientWidth !== width) { width = element.clientWidth; fit(); }
    }).observe(element.parentElement);
  }
  fit();
};
