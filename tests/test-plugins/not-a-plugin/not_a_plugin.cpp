// A shared library that is not a nas-sync plugin: it exports nothing the host looks for.
extern "C" __attribute__((visibility("default"))) int not_a_plugin_answer() { return 42; }
