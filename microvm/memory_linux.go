package microvm

import "syscall"

const mapNoReserve = syscall.MAP_NORESERVE
