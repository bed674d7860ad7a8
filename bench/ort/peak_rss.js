// This process's peak resident set in MB (VmHWM: since exec, unlike getrusage's ru_maxrss of a
// child, which also counts the pages of the parent it was forked from); null off Linux.
const fs = require('fs');

function peakRssMb() {
  try {
    const m = fs.readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s+(\d+) kB/m);
    return m ? Number(m[1]) / 1024 : null;
  } catch (e) {
    return null;
  }
}

module.exports = { peakRssMb };
