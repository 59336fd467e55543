/** What a suite is asked for: where its JSON goes, and the model for the suites that take one (compression). */
export interface BenchSuiteOptions {
  jsonFile: string;
  model?: string;
  /** network: how many daemons; byzantine: how many simulated peers. */
  peers?: number;
  /** byzantine only: how many of the peers attack. */
  malicious?: number;
  /** byzantine only: `iid` or `dirichlet:ALPHA` (bench/sim's parseShardLayout). */
  shards?: string;
  /** The dataset a training suite (accuracy, byzantine, compression, train) trains on (core/defaults' DATASET_NAMES; MNIST when left out). */
  dataset?: string;
  /** The folder of the dataset's files (required for cifar10). */
  datasetDir?: string;
  /** byzantine only: the attacks to run (bench/sim's attackNames), all of them when left out. */
  attacks?: string[];
  /** byzantine only: the aggregation rules to compare, every rule when left out. */
  rules?: string[];
  /** network only: daemons on 127.0.0.1 instead of network namespaces. */
  loopback?: boolean;
  /** long only: how many rounds. */
  rounds?: number;
  /** long only: where the picture goes (beside the JSON when left out). */
  png?: string;
}
