# Plots what bench/ wrote into `data` (bets.dat, agencies.dat) as a PNG at `out`:
# wall time against bets (5 agencies) and against agencies (the largest set).
set terminal pngcairo size 1200,480 font ",10"
set output out
set multiplot layout 1,2 title "Lottery round on loopback, TLS off: first connection to last winners answer (median)"
set grid
set key top left
set ylabel "wall time (ms)"
set format x "%.0s%c"

set title "5 agencies, growing number of bets"
set xlabel "bets"
plot data."/bets.dat" using 1:3 with linespoints title "process", \
     "" using 1:2 with linespoints title "sequential", \
     "" using 1:4 with linespoints title "floor (no protocol)"

set title "Same bets, growing number of agencies"
set xlabel "agencies"
set format x "%g"
plot data."/agencies.dat" using 1:3 with linespoints title "process", \
     "" using 1:2 with linespoints title "sequential", \
     "" using 1:4 with linespoints title "floor (no protocol)"
unset multiplot
