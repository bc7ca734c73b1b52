//! `net.h` (shipped, not installed): the socket layer functions hiredis exports.
