# reuseport_member.pl PORT - a member of a SO_REUSEPORT group that is not
# python: binds UDP 127.0.0.1:PORT with SO_REUSEPORT, says "ready", and
# holds it until stdin closes (perl-base is in every Debian system).
use Socket qw(:all);
$| = 1;
socket(my $s, PF_INET, SOCK_DGRAM, 0) or die "socket: $!";
setsockopt($s, SOL_SOCKET, SO_REUSEPORT, 1) or die "setsockopt: $!";
bind($s, pack_sockaddr_in($ARGV[0], inet_aton("127.0.0.1"))) or die "bind: $!";
print "ready\n";
<STDIN>;
