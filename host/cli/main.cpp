// sitewatch command line: placeholder until the commands land (see host/cli/).
#include <cstdio>
int main() { std::puts("sitewatch: under construction"); return 0; }
