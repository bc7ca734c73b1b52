/* Of hiredis-cluster's hiutil, this library provides crc16, the clocks, _hi_atoi and
 * hi_valid_port (the socket, itoa, sendn/recvn and assert helpers are not provided). */
#define HI_OK 0
#define HI_ERROR -1
#define HI_EAGAIN -2

typedef int rstatus_t;

#define hi_atoi(_line, _n) _hi_atoi((uint8_t *)_line, (size_t)_n)
