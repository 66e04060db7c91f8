import cspy
def main():
    src = cspy.Chan(name="numbers"); sq = cspy.Chan(name="squares")
    def gen():
        for i in range(400): src.send(i)
        src.close()
    def square():
        for v in src: sq.send(v * v)
        sq.close()
    def spin(): 
        s = 0
        for i in range(20000): s += i
        return s
    def cpu():
        for _ in range(40):
            for _ in range(10): spin()
            cspy.sleep(0.0005)
    cspy.go(cpu, name="cpu-job"); cspy.go(gen, name="generate"); cspy.go(square, name="square")
    total = 0
    for v in sq: total += v
    print(total)
cspy.run(main, procs=2, trace="pipeline.json")
