//go:build darwin || freebsd

package microvm

const mapNoReserve = 0
