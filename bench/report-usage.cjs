// Preloaded into each benchmarked process: reports its own peak RSS when it exits, and the provider
// binding modules it loaded, on lines the benchmark parses, so the figure covers module loading as
// well as synthesis and the baselines can be held to the same bindings.
process.on('exit', () => {
  const bindings = new Set();
  for (const file of Object.keys(require.cache)) {
    const match = /node_modules[\\/](@cdktf[\\/]provider-[a-z]+[\\/]lib[\\/][^\\/]+)[\\/]index\.js$/.exec(file);
    if (match) {
      bindings.add(match[1].replace(/\\/g, '/'));
    }
  }
  process.stderr.write(`\nBENCH_BINDINGS=${[...bindings].sort().join(',')}\nBENCH_MAX_RSS_KB=${process.resourceUsage().maxRSS}\n`);
});
