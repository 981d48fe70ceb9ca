// Package hatest runs vodq end to end on the Redis topologies used in
// production: a three-master Redis Cluster, and a Sentinel-managed master
// and replica whose master dies in the middle of a run. It also runs jobs
// as an ACL user restricted to vodq's own keys.
//
// The package holds tests only. Each test starts its own redis-server and
// redis-server --sentinel processes on free loopback ports, and the Tencent
// Cloud API emulator, so it needs nothing but redis-server on PATH.
package hatest
