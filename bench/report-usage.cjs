// Preloaded into each benchmarked process: reports its own peak RSS when it exits, on a line the
// benchmark parses, so the figure covers module loading as well as synthesis.
process.on('exit', () => {
  process.stderr.write(`\nBENCH_MAX_RSS_KB=${process.resourceUsage().maxRSS}\n`);
});
