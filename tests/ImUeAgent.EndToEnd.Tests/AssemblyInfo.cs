// SPDX-License-Identifier: MIT

// Each test here starts real processes (agent, testbed) that run on real time; on a 2-core machine, test classes
// in parallel starve each other's timers and turn bounded waits into flakes. Classes run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
